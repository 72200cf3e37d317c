import type { NamedEvent } from '../../domain/event.js'
import { secondTime } from '../format.js'
import { adminUrl, type RealmUrls } from '../admin-urls.js'

type Column = 'user' | 'account'

/** An event's details as `key: value` lines; values that aren't text as JSON. */
function Details({ data }: { data: Record<string, unknown> }) {
  const entries = Object.entries(data)
  if (entries.length === 0) return <>—</>
  return (
    <dl class="kv">
      {entries.map(([key, value]) => (
        <div>
          <dt>{key}</dt>
          <dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
        </div>
      ))}
    </dl>
  )
}

/** `userLinks`/`accountLinks`: where the user and account columns link to, when the row has those columns. */
function EventRow({ event, userLinks, accountLinks }: { event: NamedEvent; userLinks: RealmUrls | null; accountLinks: RealmUrls | null }) {
  return (
    <tr>
      <td data-label="Time">{secondTime(event.createdAt)}</td>
      <td data-label="Type">
        <code>{event.type}</code>
      </td>
      {userLinks ? (
        <td data-label="User">
          {event.userId ? <a href={userLinks.user(event.userId)}>{event.userEmail ?? event.userId}</a> : '—'}
        </td>
      ) : null}
      {accountLinks ? (
        <td data-label="Account">
          {event.orgId ? (
            <a href={accountLinks.account(event.orgId)}>
              <code>{event.orgId}</code>
            </a>
          ) : (
            '—'
          )}
        </td>
      ) : null}
      <td data-label="Admin">{event.adminId ? (event.adminEmail ?? event.adminId) : '—'}</td>
      <td data-label="IP">{event.ip ?? '—'}</td>
      <td data-label="Details">
        <Details data={event.data} />
      </td>
    </tr>
  )
}

/**
 * Events as a table: the Events pages' log, and the recent events on a user's or an account's page (which `hide`
 * the column that would name that user or account on every row). The server's own events have no realm, so no
 * user or account columns.
 */
export function EventsTable({ events, realmId, hide = [] }: { events: NamedEvent[]; realmId: string | null; hide?: Column[] }) {
  const links = realmId === null ? null : adminUrl.realm(realmId)
  const userLinks = hide.includes('user') ? null : links
  const accountLinks = hide.includes('account') ? null : links
  return (
    <table class="log">
      <thead>
        <tr>
          <th scope="col">Time (UTC)</th>
          <th scope="col">Type</th>
          {userLinks ? <th scope="col">User</th> : null}
          {accountLinks ? <th scope="col">Account</th> : null}
          <th scope="col">Admin</th>
          <th scope="col">IP</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => (
          <EventRow event={event} userLinks={userLinks} accountLinks={accountLinks} />
        ))}
      </tbody>
    </table>
  )
}
