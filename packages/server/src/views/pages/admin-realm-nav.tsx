import { adminUrl } from '../admin-urls.js'

/** The pages of one realm in the portal. */
export const REALM_PAGES = [
  { path: 'settings', label: 'Settings' },
  { path: 'keys', label: 'Keys' },
  { path: 'integration', label: 'Integration' },
  { path: 'users', label: 'Users' },
  { path: 'accounts', label: 'Accounts' },
  { path: 'events', label: 'Events' },
  { path: 'mail', label: 'Mail' },
] as const

export type RealmPage = (typeof REALM_PAGES)[number]['path']

/** Links to a realm's pages, on every one of them; the current one is marked for assistive technology. */
export function RealmNav({ id, current }: { id: string; current: RealmPage }) {
  return (
    <nav class="realm-nav" aria-label="This realm">
      {REALM_PAGES.map((page) => (
        <a href={adminUrl.realm(id)[page.path]} aria-current={page.path === current ? 'page' : undefined}>
          {page.label}
        </a>
      ))}
      <a href={adminUrl.realms}>All realms</a>
    </nav>
  )
}
