import type { NamedEvent } from '../../domain/event.js'
import { secondTime } from '../format.js'

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

function EventRow({ event, realmId, user, account }: { event: NamedEvent; realmId: string | null; user: boolean; account: boolean }) {
  return (
    <tr>
      <td data-label="Time">{secondTime(event.createdAt)}</td>
      <td data-label="Type">
        <code>{event.type}</code>
      </td>
      {user ? (
        <td data-label="User">
          {event.userId ? <a href={`/admin/realms/${realmId}/users/${encodeURIComponent(event.userId)}`}>{event.userEmail ?? event.userId}</a> : '—'}
        </td>
      ) : null}
      {account ? (
        <td data-label="Account">
          {event.orgId ? (
            <a href={`/admin/realms/${realmId}/accounts/${encodeURIComponent(event.orgId)}`}>
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
  const user = realmId !== null && !hide.includes('user')
  const account = realmId !== null && !hide.includes('account')
  return (
    <table class="log">
      <thead>
        <tr>
          <th scope="col">Time (UTC)</th>
          <th scope="col">Type</th>
          {user ? <th scope="col">User</th> : null}
          {account ? <th scope="col">Account</th> : null}
          <th scope="col">Admin</th>
          <th scope="col">IP</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => (
          <EventRow event={event} realmId={realmId} user={user} account={account} />
        ))}
      </tbody>
    </table>
  )
}
