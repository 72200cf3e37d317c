import type { NamedEvent } from '../../domain/event.js'
import type { FieldErrors } from '../../domain/validation.js'
import { Field, Notice } from '../form.js'
import { AdminLayout } from './admin-layout.js'
import { EventsTable } from './admin-events-table.js'
import { RealmNav } from './admin-realm-nav.js'
import { adminUrl } from '../admin-urls.js'

/** The filters as typed (kept on a 422 and in the "Older events" link). */
export interface EventFilters {
  type: string
  user: string
  account: string
  since: string
  until: string
}

export interface AdminEventsPageProps {
  admin: { email: string; csrf: string }
  /** The realm whose events these are, or null for the server's own (admins). */
  realm: { id: string; name: string } | null
  /** On the server's page: links to each realm's events. */
  realms?: { id: string; name: string }[]
  typeChoices: string[]
  filters: EventFilters
  errors: FieldErrors
  events: NamedEvent[]
  /** The next page's address, when there are older events. */
  older: string | null
  /** The first page's address, when this is a later one. */
  newest: string | null
  retentionDays: number
}

/** A family (`user.login.`) as a choice: it picks every type under it. */
const choiceLabel = (choice: string) => (choice.endsWith('.') ? `${choice}* (all)` : choice)

function TypeSelect({ choices, value, error }: { choices: string[]; value: string; error: string | undefined }) {
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for="type">Type</label>
      <select id="type" name="type" aria-invalid={error ? 'true' : undefined} aria-describedby={error ? 'type-error' : undefined}>
        <option value="">All events</option>
        {choices.map((choice) => (
          <option value={choice} selected={choice === value}>
            {choiceLabel(choice)}
          </option>
        ))}
      </select>
      {error ? (
        <p class="error" id="type-error">
          {error}
        </p>
      ) : null}
    </div>
  )
}

/** GET /admin/realms/:id/events and GET /admin/events: the event log, newest first, with its filters. */
export function AdminEventsPage({ admin, realm, realms = [], typeChoices, filters, errors, events, older, newest, retentionDays }: AdminEventsPageProps) {
  const base = realm ? adminUrl.realm(realm.id).events : adminUrl.events
  const failed = Object.keys(errors).length > 0
  const filtered = Object.values(filters).some((value) => value !== '')
  return (
    <AdminLayout title={realm ? `${realm.name}: events` : 'Server events'} signedIn={admin}>
      {realm ? (
        <RealmNav id={realm.id} current="events" />
      ) : (
        <>
          <p>The server’s own events: admins created, admin logins. A realm’s events are on its own page:</p>
          <ul class="realm-links">
            {realms.map((r) => (
              <li>
                <a href={adminUrl.realm(r.id).events}>{r.name}</a>
              </li>
            ))}
          </ul>
        </>
      )}
      <p>
        Events are kept for {retentionDays === 1 ? '1 day' : `${retentionDays} days`} (<code>AIRLOCK_EVENT_RETENTION_DAYS</code>). Times are UTC.
      </p>
      <form method="get" action={base} class="filters" role="search" aria-label="Filter events" novalidate>
        <TypeSelect choices={typeChoices} value={filters.type} error={errors.type} />
        {realm ? (
          <>
            <Field name="user" label="User" value={filters.user} errors={errors} autocomplete="off" hint="A user ID or email." />
            <Field name="account" label="Account ID" value={filters.account} errors={errors} autocomplete="off" hint="Starts with org_." />
          </>
        ) : null}
        <Field name="since" label="From" value={filters.since} errors={errors} autocomplete="off" hint="2026-01-31 or 2026-01-31 14:30" />
        <Field name="until" label="Until" value={filters.until} errors={errors} autocomplete="off" hint="A date alone includes that day." />
        <div class="filter-actions">
          <button type="submit" class="inline">
            Filter
          </button>
          {filtered ? <a href={base}>Clear filters</a> : null}
        </div>
      </form>
      {failed ? (
        <Notice kind="error">No events shown: {Object.values(errors)[0]}</Notice>
      ) : events.length === 0 ? (
        <p>{filtered ? 'No events match these filters.' : 'No events yet.'}</p>
      ) : (
        <EventsTable events={events} realmId={realm?.id ?? null} />
      )}
      {older || newest ? (
        <nav class="pager" aria-label="Pages of events">
          {newest ? <a href={newest}>Newest events</a> : null}
          {older ? <a href={older}>Older events</a> : null}
        </nav>
      ) : null}
    </AdminLayout>
  )
}
