// The admin portal's addresses, built in one place so that pages, forms and redirects agree. Ids are encoded as
// path segments: ours never need it, but an id is data, and data never gets to shape a path.
const segment = encodeURIComponent

export type RealmUrls = ReturnType<typeof realmUrls>

/** One realm's pages in the portal, and the pages of its users, accounts and mails. */
function realmUrls(realmId: string) {
  const base = `/admin/realms/${segment(realmId)}`
  return {
    settings: `${base}/settings`,
    keys: `${base}/keys`,
    integration: `${base}/integration`,
    users: `${base}/users`,
    accounts: `${base}/accounts`,
    events: `${base}/events`,
    mail: `${base}/mail`,
    user: (userId: string) => `${base}/users/${segment(userId)}`,
    account: (orgId: string) => `${base}/accounts/${segment(orgId)}`,
    message: (mailId: number) => `${base}/mail/${mailId}`,
  }
}

export const adminUrl = {
  home: '/admin',
  realms: '/admin/realms',
  events: '/admin/events',
  realm: realmUrls,
}
