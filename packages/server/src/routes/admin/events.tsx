import { Hono, type Context } from 'hono'
import type { Realm } from '../../domain/realm.js'
import { AppError } from '../../errors/app-error.js'
import type { AppEnv } from '../../http/env.js'
import { EVENT_TYPES, eventTypeChoices } from '../../domain/event.js'
import type { Services } from '../../services/index.js'
import type { FieldErrors } from '../../domain/validation.js'
import { AdminEventsPage, type EventFilters } from '../../views/pages/admin-events.js'
import { realmOfPath, signedInAdmin } from './request.js'
import { adminUrl } from '../../views/admin-urls.js'
import { renderPage } from '../../views/render.js'

const PAGE_SIZE = 50
const REALM_CHOICES = eventTypeChoices(EVENT_TYPES)
const SERVER_CHOICES = eventTypeChoices(EVENT_TYPES.filter((type) => type.startsWith('admin.')))
/** Event ids are PostgreSQL `serial` (int4): a larger `before` would be a database error, not a page. */
const MAX_ID = 2_147_483_647

const MOMENT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?Z?$/i
const MOMENT_HELP = 'Enter a date as 2026-01-31, or a date and time as 2026-01-31 14:30 (UTC).'

/**
 * A typed UTC date or date and time, or null when it is neither. For "until" (`end`), the day, minute or second
 * typed is included: the result is the moment just after it.
 */
function parseMoment(text: string, end: boolean): Date | null {
  const match = MOMENT.exec(text)
  if (!match) return null
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number]
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second))
  // 2026-02-30 or 25:00 would roll over into another moment: refuse rather than guess.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null
  if (!end) return date
  const step = match[4] === undefined ? 86_400_000 : match[6] === undefined ? 60_000 : 1000
  return new Date(date.getTime() + step)
}

/** The realm's events and the server's own: newest first, filtered, 50 a page. */
export function adminEventRoutes(services: Services) {
  const app = new Hono<AppEnv>()

  async function show(c: Context<AppEnv>, realm: Realm | null) {
    const query = (name: string) => (c.req.query(name) ?? '').trim()
    const filters: EventFilters = { type: query('type'), user: '', account: '', since: query('since'), until: query('until') }
    if (realm) {
      filters.user = query('user')
      filters.account = query('account')
    }
    const errors: FieldErrors = {}

    const choices = realm ? REALM_CHOICES : SERVER_CHOICES
    if (filters.type && !choices.includes(filters.type)) errors.type = 'Choose a type from the list.'

    let userId: string | undefined
    if (filters.user.length > 320) errors.user = 'Enter a user ID or an email address.'
    else if (realm && filters.user.includes('@')) {
      const user = await services.users.byEmail(realm, filters.user)
      if (user) userId = user.id
      else errors.user = 'No user in this realm has this email. A deleted user’s events can be found by their user ID.'
    } else if (filters.user) userId = filters.user
    if (filters.account.length > 100) errors.account = 'Enter an account ID, such as org_…'

    const since = filters.since ? parseMoment(filters.since, false) : undefined
    const until = filters.until ? parseMoment(filters.until, true) : undefined
    if (since === null) errors.since = MOMENT_HELP
    if (until === null) errors.until = MOMENT_HELP
    if (since && until && until <= since) errors.until = 'Must be later than “From”.'

    const beforeText = query('before')
    const beforeId = beforeText === '' ? undefined : Number(beforeText)
    if (beforeId !== undefined && (!/^\d{1,10}$/.test(beforeText) || beforeId > MAX_ID)) throw new AppError('bad_request', 'That page of events does not exist.')

    const failed = Object.keys(errors).length > 0
    const found = failed
      ? []
      : await services.events.listNamed({
          realmId: realm?.id ?? null,
          type: filters.type || undefined,
          userId,
          orgId: filters.account || undefined,
          since: since ?? undefined,
          until: until ?? undefined,
          beforeId,
          limit: PAGE_SIZE + 1,
        })
    const events = found.slice(0, PAGE_SIZE)

    const base = realm ? adminUrl.realm(realm.id).events : adminUrl.events
    const address = (extra: Record<string, string>) => {
      const params = new URLSearchParams(Object.entries({ ...filters, ...extra }).filter(([, value]) => value !== '')).toString()
      return params ? `${base}?${params}` : base
    }
    return renderPage(c,
      <AdminEventsPage
        admin={signedInAdmin(c)}
        realm={realm && { id: realm.id, name: realm.name }}
        realms={realm ? [] : (await services.realms.list()).map((r) => ({ id: r.id, name: r.name }))}
        typeChoices={choices}
        filters={filters}
        errors={errors}
        events={events}
        older={found.length > PAGE_SIZE ? address({ before: String(events.at(-1)!.id) }) : null}
        newest={beforeId !== undefined ? address({}) : null}
        retentionDays={services.events.retentionDays}
      />,
      failed ? 422 : 200,
    )
  }

  app.get('/admin/realms/:id/events', async (c) => {
    return show(c, await realmOfPath(c, services))
  })

  app.get('/admin/events', (c) => show(c, null))

  return app
}
