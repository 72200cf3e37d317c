import type { Realm } from '../../domain/realm.js'
import { ACCOUNT_STATES, ADMIN_PAGE_SIZE, type AccountListPage, type AccountQuery } from '../../services/account-management.js'
import type { FieldErrors } from '../../domain/validation.js'
import { Notice } from '../form.js'
import { dayTime } from '../format.js'
import { AdminLayout } from './admin-layout.js'
import { RealmNav } from './admin-realm-nav.js'
import { adminUrl } from '../admin-urls.js'

type Admin = { email: string; csrf: string }

/** The list's address for a query; the defaults (no text, every state, the first page) are left out. */
export function listHref(realmId: string, query: AccountQuery): string {
  const params = new URLSearchParams()
  if (query.q) params.set('q', query.q)
  if (query.state !== 'all') params.set('state', query.state)
  if (query.page > 1) params.set('page', String(query.page))
  const search = params.toString()
  const list = adminUrl.realm(realmId).accounts
  return search ? `${list}?${search}` : list
}

const STATE_LABELS: Record<(typeof ACCOUNT_STATES)[number], string> = { all: 'All', active: 'Active', closed: 'Closed' }

function SearchForm({ realmId, values, errors }: { realmId: string; values: { q: string; state: string }; errors: FieldErrors }) {
  const described = (name: string) => (errors[name] ? { 'aria-invalid': 'true', 'aria-describedby': `${name}-error` } : {})
  return (
    <form method="get" action={adminUrl.realm(realmId).accounts} class="account-search" role="search" aria-label="Accounts">
      <div class={errors.q ? 'field invalid' : 'field'}>
        <label for="q">Name contains</label>
        <input id="q" name="q" type="search" value={values.q} autocomplete="off" {...described('q')} />
        {errors.q ? (
          <p class="error" id="q-error">
            {errors.q}
          </p>
        ) : null}
      </div>
      <div class={errors.state ? 'field invalid' : 'field'}>
        <label for="state">State</label>
        <select id="state" name="state" {...described('state')}>
          {ACCOUNT_STATES.map((state) => (
            <option value={state} selected={state === values.state}>
              {STATE_LABELS[state]}
            </option>
          ))}
        </select>
        {errors.state ? (
          <p class="error" id="state-error">
            {errors.state}
          </p>
        ) : null}
      </div>
      <button type="submit" class="inline">
        Search
      </button>
    </form>
  )
}

function Pager({ realmId, list }: { realmId: string; list: AccountListPage }) {
  if (list.pages <= 1 && list.page === 1) return null
  const to = (page: number) => listHref(realmId, { q: list.q, state: list.state, page })
  return (
    <nav class="account-pager" aria-label="Pages of accounts">
      {list.page > 1 ? (
        <a href={to(Math.min(list.page - 1, list.pages))} rel="prev">
          Previous page
        </a>
      ) : null}
      <span>
        Page {list.page} of {list.pages}
      </span>
      {list.page < list.pages ? (
        <a href={to(list.page + 1)} rel="next">
          Next page
        </a>
      ) : null}
    </nav>
  )
}

function Results({ realmId, list }: { realmId: string; list: AccountListPage }) {
  const from = (list.page - 1) * ADMIN_PAGE_SIZE + 1
  const summary =
    list.total === 0
      ? list.q || list.state !== 'all'
        ? 'No accounts match.'
        : 'This realm has no accounts yet.'
      : list.orgs.length === 0
        ? `No accounts on page ${list.page}: there are ${list.total}.`
        : `${list.total === 1 ? '1 account' : `${list.total} accounts`}${list.pages > 1 ? `; showing ${from}–${from + list.orgs.length - 1}` : ''}.`
  return (
    <>
      <p role="status">{summary}</p>
      {list.orgs.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">State</th>
              <th scope="col">Members</th>
              <th scope="col">Created</th>
              <th scope="col">ID</th>
            </tr>
          </thead>
          <tbody>
            {list.orgs.map((org) => (
              <tr>
                <td>
                  <a href={adminUrl.realm(realmId).account(org.id)}>{org.name}</a>
                </td>
                <td>{org.state}</td>
                <td>{org.memberCount}</td>
                <td>{dayTime(org.createdAt)}</td>
                <td>
                  <code>{org.id}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager realmId={realmId} list={list} />
    </>
  )
}

/**
 * GET /admin/realms/:id/accounts: the realm's accounts, newest first, searched by name and filtered by state,
 * a page at a time; or (422) the search form with what is wrong with the query.
 */
export function AdminAccountsPage({
  admin,
  realm,
  list,
  values,
  errors = {},
}: {
  admin: Admin
  realm: Pick<Realm, 'id' | 'name'>
  list: AccountListPage | null
  values: { q: string; state: string }
  errors?: FieldErrors
}) {
  return (
    <AdminLayout title={`${realm.name}: accounts`} signedIn={admin}>
      <RealmNav id={realm.id} current="accounts" />
      {Object.keys(errors).length > 0 ? <Notice kind="error">That search can’t be run: {Object.values(errors)[0]}</Notice> : null}
      <SearchForm realmId={realm.id} values={values} errors={errors} />
      {list ? <Results realmId={realm.id} list={list} /> : null}
    </AdminLayout>
  )
}
