import type { User } from '../../domain/user.js'
import type { UserSearch } from '../../services/admin-users.js'
import { Notice } from '../form.js'
import { minuteTime } from '../format.js'
import type { RealmRow } from './admin-home.js'
import { AdminLayout } from './admin-layout.js'
import { RealmNav } from './admin-realm-nav.js'
import { adminUrl } from '../admin-urls.js'

type Admin = { email: string; csrf: string }

export const fullName = (user: Pick<User, 'firstName' | 'lastName'>) => [user.firstName, user.lastName].filter(Boolean).join(' ')

export const stateText = (state: User['state']) => (state === 'active' ? 'Active' : 'Disabled')

/** `/admin/realms/:id/users` with the search and the page. */
function listUrl(realmId: string, query: string, page: number): string {
  const params = new URLSearchParams()
  if (query) params.set('q', query)
  if (page > 1) params.set('page', String(page))
  const search = params.toString()
  return `${adminUrl.realm(realmId).users}${search ? `?${search}` : ''}`
}

/** GET /admin/realms/:id/users: search by email or name, 50 a page, newest first. */
export function AdminUsersPage({ admin, realm, query, result, deleted }: { admin: Admin; realm: RealmRow; query: string; result: UserSearch; deleted?: boolean }) {
  const { users, total, page, perPage } = result
  const first = (page - 1) * perPage + 1
  const last = first + users.length - 1
  const pages = Math.max(1, Math.ceil(total / perPage))
  const counted = query ? `${total} ${total === 1 ? 'user matches' : 'users match'} “${query}”` : `${total} ${total === 1 ? 'user' : 'users'}`
  return (
    <AdminLayout title={`${realm.name}: users`} signedIn={admin}>
      <RealmNav id={realm.id} current="users" />
      {deleted ? <Notice kind="info">The user was deleted.</Notice> : null}
      <form method="get" action={adminUrl.realm(realm.id).users} role="search" class="user-search">
        <label for="q">Search by email, name or username</label>
        <div class="search-row">
          <input type="text" id="q" name="q" value={query} autocomplete="off" />
          <button type="submit" class="inline">
            Search
          </button>
        </div>
      </form>
      <p role="status">
        {counted}
        {users.length > 0 ? `; showing ${first}–${last}, newest first.` : '.'}
      </p>
      {users.length > 0 ? (
        <div class="scroll">
          <table class="user-list">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
                <th scope="col">Last login</th>
              </tr>
            </thead>
            <tbody>
              {users.map((user) => (
                <tr>
                  <td>
                    <a href={adminUrl.realm(realm.id).user(user.id)}>{user.email}</a>
                    {user.emailVerifiedAt ? null : <span class="badge"> (unconfirmed)</span>}
                  </td>
                  <td>{fullName(user) || '—'}</td>
                  <td>{stateText(user.state)}</td>
                  <td>{minuteTime(user.createdAt)}</td>
                  <td>{user.lastLoginAt ? minuteTime(user.lastLoginAt) : 'Never'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {pages > 1 || page > 1 ? (
        <nav class="users-pager" aria-label="Pages of users">
          {page > 1 ? <a href={listUrl(realm.id, query, Math.min(page - 1, pages))} rel="prev">Previous page</a> : <span />}
          <span>
            Page {page} of {pages}
          </span>
          {page < pages ? <a href={listUrl(realm.id, query, page + 1)} rel="next">Next page</a> : <span />}
        </nav>
      ) : null}
    </AdminLayout>
  )
}
