import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { boot } from '../src/bootstrap.js'
import { runCli, type Running } from '../src/cli/run.js'
import { loadConfig } from '../src/config/load.js'
import type { Realm } from '../src/domain/realm.js'
import type { EventInput } from '../src/domain/event.js'
import { createRealm } from '../src/services/realms.js'
import { APP, PASSWORD as USER_PASSWORD } from './support/accounts.js'
import { Browser } from './support/browser.js'
import { useCliData } from './support/cli.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { freePort, startServer, type TestServer } from './support/server.js'

const EMAIL = 'events-admin@example.com'
const PASSWORD = 'admin password 123'

/** The `mark` of each event row on an events page, in order (the tests give every event one). */
const marksIn = (html: string) => [...html.matchAll(/<dt>mark<\/dt><dd>([^<]+)<\/dd>/g)].map((m) => m[1]!)
const range = (from: number, to: number) => Array.from({ length: Math.abs(to - from) + 1 }, (_, i) => `p${from > to ? from - i : from + i}`)
const unescape = (href: string) => href.replace(/&amp;/g, '&')

describe.each(DIALECTS)('admin Events pages on %s', (dialect) => {
  let server: TestServer
  let realm: Realm
  let paged: Realm
  let adminId: string
  let userId: string
  const USER_EMAIL = 'Filter.User@example.com'
  const ORG_1 = 'org_first'
  const ORG_2 = 'org_second'

  const services = () => server.booted.services
  const at = (iso: string) => new Date(iso)

  beforeAll(async () => {
    server = await startServer({ dialect, trustProxy: true, settings: [`login_urls=${APP}`] })
    const created = await services().admins.create(EMAIL, PASSWORD, null, new Date())
    if (!created.ok) throw new Error('admin not created')
    adminId = created.value.id
    realm = await createRealm(services(), 'Filtered', 'http://login.filtered.test', { kind: 'cli' })
    paged = await createRealm(services(), 'Paged', 'http://login.paged.test', { kind: 'cli' })
    const user = await services().signups.signup(realm, { email: USER_EMAIL, password: USER_PASSWORD, firstName: '', lastName: '', username: '' }, new Date())
    if (!user.ok) throw new Error('user not created')
    userId = user.value.user.id

    const record = (event: Omit<EventInput, 'realmId'>, iso: string) => services().events.record({ realmId: realm.id, ...event }, at(iso))
    await record({ type: 'user.created', userId, orgId: ORG_1, data: { mark: 'e1', email: USER_EMAIL } }, '2026-01-10T08:00:00Z')
    await record({ type: 'user.login.succeeded', userId, ip: '198.51.100.7', data: { mark: 'e2' } }, '2026-01-10T09:00:00Z')
    await record({ type: 'user.login.failed', ip: '203.0.113.9', data: { mark: 'e3', email: 'nobody@example.com' } }, '2026-01-11T12:30:00Z')
    await record({ type: 'org.created', userId: 'usr_gone', orgId: ORG_2, data: { mark: 'e4', name: 'Gone Inc' } }, '2026-01-12T00:00:00Z')
    await record({ type: 'membership.created', userId, orgId: ORG_2, data: { mark: 'e5', permissions: ['ar:owner'] } }, '2026-01-12T23:59:59Z')
    await record({ type: 'admin.realm.updated', adminId, ip: '192.0.2.1', data: { mark: 'e6', changed: ['name'] } }, '2026-01-13T10:00:00Z')
    await record({ type: 'session.deleted', userId, data: { mark: 'e7' } }, '2026-01-14T00:00:00Z')
    // Another realm's event, and one of the server's own.
    await services().events.record({ realmId: server.booted.realm.id, type: 'user.created', userId, data: { mark: 'elsewhere' } }, at('2026-01-12T00:00:00Z'))
    await services().events.record({ realmId: null, type: 'admin.created', adminId, ip: '192.0.2.2', data: { mark: 's1', email: 'new-admin@example.com' } }, at('2026-01-12T00:00:00Z'))
    await services().events.record({ realmId: null, type: 'admin.login.failed', ip: '192.0.2.3', data: { mark: 's2', email: 'wrong@example.com' } }, at('2026-01-13T00:00:00Z'))
  })
  afterAll(() => server.close())

  async function admin(): Promise<Client> {
    const client = new Client(server)
    await client.get('/admin/login')
    expect((await client.post('/admin/login', { email: EMAIL, password: PASSWORD })).status).toBe(303)
    return client
  }

  /** The marks on the Filtered realm's events page for `query`, after checking its status. */
  async function marks(client: Client, query: string, status = 200): Promise<string[]> {
    const res = await client.get(`/admin/realms/${realm.id}/events${query}`)
    expect(res.status, query).toBe(status)
    return marksIn(client.browser.lastHtml)
  }

  it('lists a realm’s events newest first: time, type, user, account, admin, IP and details', async () => {
    const client = await admin()
    expect(await marks(client, '')).toEqual(['e7', 'e6', 'e5', 'e4', 'e3', 'e2', 'e1'])
    const html = client.browser.lastHtml
    expect(html).toContain('<title>Filtered: events · Airlock admin</title>')
    expect(html).toContain(`href="/admin/realms/${realm.id}/events" aria-current="page"`)
    expect(html).toContain('Events are kept for 90 days')
    expect(html).toContain('<th scope="col">Account</th>')
    const rows = html.split('<tr>').slice(2)
    const row = (mark: string) => rows.find((r) => r.includes(`<dd>${mark}</dd>`))!
    expect(row('e1')).toContain('<td data-label="Time"><time datetime="2026-01-10T08:00:00.000Z">2026-01-10 08:00:00</time></td>')
    expect(row('e1')).toContain('<code>user.created</code>')
    expect(row('e1')).toContain(`<a href="/admin/realms/${realm.id}/users/${userId}">${USER_EMAIL}</a>`)
    expect(row('e1')).toContain(`<a href="/admin/realms/${realm.id}/accounts/${ORG_1}"><code>${ORG_1}</code></a>`)
    expect(row('e1')).toContain(`<dt>email</dt><dd>${USER_EMAIL}</dd>`)
    // A user who no longer exists is shown by id.
    expect(row('e4')).toContain(`<a href="/admin/realms/${realm.id}/users/usr_gone">usr_gone</a>`)
    expect(row('e3')).toContain('<td data-label="User">—</td>')
    expect(row('e3')).toContain('<td data-label="IP">203.0.113.9</td>')
    expect(row('e5')).toContain('<dt>permissions</dt><dd>[&quot;ar:owner&quot;]</dd>')
    expect(row('e6')).toContain(`<td data-label="Admin">${EMAIL}</td>`)
    expect(row('e6')).toContain('<code>admin.realm.updated</code>')
    expect(row('e5')).toContain('<td data-label="Admin">—</td>')
    expect(html).not.toContain('elsewhere')
    expect(html).not.toContain('>s1<')
    // Nothing older: no pager.
    expect(html).not.toContain('Older events')
  })

  it('filters by an exact type and by a family of types', async () => {
    const client = await admin()
    expect(await marks(client, '?type=user.login.failed')).toEqual(['e3'])
    expect(client.browser.lastHtml).toMatch(/<option value="user.login.failed" selected="">user.login.failed<\/option>/)
    expect(await marks(client, '?type=user.login.')).toEqual(['e3', 'e2'])
    expect(client.browser.lastHtml).toMatch(/<option value="user.login." selected="">user.login.\* \(all\)<\/option>/)
    expect(await marks(client, '?type=user.')).toEqual(['e3', 'e2', 'e1'])
    expect(await marks(client, '?type=admin.')).toEqual(['e6'])
    expect(await marks(client, '?type=org.closed')).toEqual([])
    expect(client.browser.lastHtml).toContain('No events match these filters.')
    // Not a choice of the list: refused next to the field.
    expect(await marks(client, '?type=user', 422)).toEqual([])
    expect(client.browser.lastHtml).toContain('id="type-error">Choose a type from the list.')
  })

  it('filters by user, given an id or an email, and by account', async () => {
    const client = await admin()
    expect(await marks(client, `?user=${userId}`)).toEqual(['e7', 'e5', 'e2', 'e1'])
    expect(await marks(client, `?user=${encodeURIComponent(' filter.user@EXAMPLE.com ')}`)).toEqual(['e7', 'e5', 'e2', 'e1'])
    expect(client.browser.lastHtml).toContain('value="filter.user@EXAMPLE.com"')
    expect(await marks(client, '?user=usr_gone')).toEqual(['e4'])
    expect(await marks(client, `?account=${ORG_2}`)).toEqual(['e5', 'e4'])
    expect(await marks(client, `?account=${ORG_2}&user=${userId}&type=membership.`)).toEqual(['e5'])
    expect(await marks(client, '?user=usr_nobody')).toEqual([])

    // An email no user of this realm has: said next to the field.
    expect(await marks(client, '?user=stranger%40example.com', 422)).toEqual([])
    const html = client.browser.lastHtml
    expect(html).toMatch(/id="user-error">No user in this realm has this email/)
    expect(html).toContain('value="stranger@example.com"')
    expect(await marks(client, `?user=${'x'.repeat(400)}`, 422)).toEqual([])
    expect(client.browser.lastHtml).toContain('id="user-error">Enter a user ID or an email address.')
  })

  it('filters by time: dates and date-times in UTC, "until" including the day or minute typed', async () => {
    const client = await admin()
    expect(await marks(client, '?since=2026-01-12')).toEqual(['e7', 'e6', 'e5', 'e4'])
    expect(await marks(client, '?until=2026-01-11')).toEqual(['e3', 'e2', 'e1'])
    expect(await marks(client, `?since=${encodeURIComponent('2026-01-10 09:00')}&until=2026-01-12`)).toEqual(['e5', 'e4', 'e3', 'e2'])
    expect(await marks(client, '?since=2026-01-10T09:00:01&until=2026-01-12T00:00')).toEqual(['e4', 'e3'])
    expect(await marks(client, '?until=2026-01-10T08:00')).toEqual(['e1'])
    expect(await marks(client, '?until=2026-01-10T07:59:59')).toEqual([])
    expect(await marks(client, '?since=2026-01-13&type=admin.')).toEqual(['e6'])
  })

  it('refuses a time that is not a date, next to its field and keeping the input, with the rest of the page intact', async () => {
    const client = await admin()
    for (const bad of ['yesterday', '2026-02-30', '2026-13-01', '2026-01-10 25:00', '2026-01-10 10:60', '10/01/2026', '<b>2026</b>', 'x'.repeat(5000)]) {
      expect(await marks(client, `?since=${encodeURIComponent(bad)}&type=user.`, 422), bad).toEqual([])
      const html = client.browser.lastHtml
      expect(html, bad).toContain('id="since-error">Enter a date as 2026-01-31, or a date and time as 2026-01-31 14:30 (UTC).')
      expect(html, bad).toContain(`value="${bad.replace(/</g, '&lt;').replace(/>/g, '&gt;')}"`)
      expect(html, bad).toContain('<option value="user." selected="">')
      expect(html, bad).toContain('<nav class="realm-nav"')
      expect(html, bad).toContain('No events shown')
      expect(html, bad).not.toContain('id="until-error"')
    }
    expect(await marks(client, '?until=2026-1-1', 422)).toEqual([])
    expect(client.browser.lastHtml).toContain('id="until-error">Enter a date')
    expect(await marks(client, '?since=2026-01-12&until=2026-01-11', 422)).toEqual([])
    expect(client.browser.lastHtml).toContain('id="until-error">Must be later than “From”.')
  })

  it('pages across more than 50 events, 50 a page, the Older link keeping the filters', async () => {
    for (let n = 1; n <= 120; n++) {
      const type = n % 2 === 0 ? 'user.login.failed' : 'user.login.succeeded'
      await services().events.record({ realmId: paged.id, type, data: { mark: `p${n}` } }, at(`2026-02-01T00:${String(Math.floor(n / 60)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}Z`))
    }
    const client = await admin()
    const page = async (url: string) => {
      expect((await client.get(url)).status, url).toBe(200)
      const html = client.browser.lastHtml
      const older = /<a href="([^"]+)">Older events<\/a>/.exec(html)?.[1]
      return { marks: marksIn(html), older: older && unescape(older), html }
    }
    const first = await page(`/admin/realms/${paged.id}/events`)
    expect(first.marks).toEqual(range(120, 71))
    const second = await page(first.older!)
    expect(second.marks).toEqual(range(70, 21))
    expect(second.html).toContain(`<a href="/admin/realms/${paged.id}/events">Newest events</a>`)
    const third = await page(second.older!)
    expect(third.marks).toEqual(range(20, 1))
    expect(third.older).toBeUndefined()

    // Filtered: the failed (even) ones from 00:00:10 on are 56: 50, then 6, the filters kept on the way.
    const filtered = await page(`/admin/realms/${paged.id}/events?type=user.login.failed&since=${encodeURIComponent('2026-02-01 00:00:10')}`)
    expect(filtered.marks).toEqual(range(120, 10).filter((_, i) => i % 2 === 0).slice(0, 50))
    expect(filtered.older).toMatch(/^\/admin\/realms\/[^?]+\/events\?type=user\.login\.failed&since=2026-02-01\+00%3A00%3A10&before=\d+$/)
    const rest = await page(filtered.older!)
    expect(rest.marks).toEqual(['p20', 'p18', 'p16', 'p14', 'p12', 'p10'])
    expect(rest.older).toBeUndefined()
    expect(rest.html).toContain('<option value="user.login.failed" selected="">')
    expect(rest.html).toContain('value="2026-02-01 00:00:10"')
  })

  it('shows event data containing <script> as text', async () => {
    await services().events.record({ realmId: realm.id, type: 'user.login.failed', data: { mark: 'xss', '<b>key</b>': '<script>alert(1)</script>' } }, at('2026-01-20T00:00:00Z'))
    const client = await admin()
    expect(await marks(client, '?since=2026-01-20')).toEqual(['xss'])
    const html = client.browser.lastHtml
    expect(html).toContain('<dt>&lt;b&gt;key&lt;/b&gt;</dt><dd>&lt;script&gt;alert(1)&lt;/script&gt;</dd>')
    expect(html).not.toContain('<script>alert')
    expect(html).not.toContain('<b>key')
  })

  it('shows the server’s own events on /admin/events, linked from the top nav, with the filters that apply', async () => {
    const client = await admin()
    expect((await client.get('/admin')).status).toBe(200)
    expect(client.browser.lastHtml).toMatch(/<nav class="admin-nav"[^>]*>.*<a href="\/admin\/events">Events<\/a>/s)
    expect((await client.get('/admin/events')).status).toBe(200)
    let html = client.browser.lastHtml
    expect(html).toContain('<title>Server events · Airlock admin</title>')
    expect(html).toContain(`<a href="/admin/realms/${realm.id}/events">Filtered</a>`)
    expect(marksIn(html).filter((m) => m.startsWith('s'))).toEqual(['s2', 's1'])
    expect(marksIn(html).filter((m) => m.startsWith('e') || m === 'elsewhere')).toEqual([])
    const row = html.split('<tr>').find((r) => r.includes('<dd>s1</dd>'))!
    expect(row).toContain(`<td data-label="Admin">${EMAIL}</td>`)
    expect(row).toContain('<td data-label="IP">192.0.2.2</td>')
    expect(html).not.toContain('name="user"')
    expect(html).not.toContain('name="account"')
    expect(html).toContain('<option value="admin.login.">')
    expect(html).not.toContain('<option value="user.created">')

    const get = async (query: string, status = 200) => {
      expect((await client.get(`/admin/events${query}`)).status, query).toBe(status)
      html = client.browser.lastHtml
      return marksIn(html).filter((m) => m.startsWith('s'))
    }
    expect(await get('?type=admin.login.')).toEqual(['s2'])
    expect(await get('?type=admin.created')).toEqual(['s1'])
    expect(await get('?since=2026-01-12&until=2026-01-12')).toEqual(['s1'])
    expect(await get('?type=user.created', 422)).toEqual([])
    expect(await get('?until=soon', 422)).toEqual([])
    expect(html).toContain('id="until-error">Enter a date')
  })

  it('answers 404 for an unknown realm, 400 for a page that does not exist, and sends anonymous browsers to log in', async () => {
    const client = await admin()
    expect((await client.get('/admin/realms/rl_nope/events')).status).toBe(404)
    for (const before of ['abc', '-1', '1e3', '99999999999', '2147483648']) {
      expect((await client.get(`/admin/realms/${realm.id}/events?before=${before}`)).status, before).toBe(400)
    }
    expect((await client.get(`/admin/realms/${realm.id}/events?before=1`)).status).toBe(200)
    const visitor = new Browser(server.url)
    for (const path of [`/admin/realms/${realm.id}/events`, '/admin/events']) {
      const res = await visitor.get(path)
      expect(res.status, path).toBe(303)
      expect(res.headers.get('location')).toBe('/admin/login')
    }
  })

  it('prunes exactly the events older than the retention period', async () => {
    const pruned = await createRealm(services(), 'Pruned', 'http://login.pruned.test', { kind: 'cli' })
    // 90 days before this moment is 2001-03-03T00:00:00Z; every other event of this suite is years later.
    const now = at('2001-06-01T00:00:00Z')
    const cutoff = now.getTime() - 90 * 86_400_000
    expect(new Date(cutoff).toISOString()).toBe('2001-03-03T00:00:00.000Z')
    const times: [string, number][] = [
      ['day-before', cutoff - 86_400_000],
      ['just-before', cutoff - 1],
      ['at-cutoff', cutoff],
      ['just-after', cutoff + 1],
      ['now', now.getTime()],
    ]
    for (const [mark, time] of times) await services().events.record({ realmId: pruned.id, type: 'user.login.failed', data: { mark } }, new Date(time))
    const before = await services().events.list({ realmId: realm.id, limit: 1000 })

    expect(await services().events.prune(now)).toBe(2)
    const left = await services().events.list({ realmId: pruned.id, limit: 100 })
    // The realm's own creation (recorded first, so listed last) is dated today: years after the cutoff.
    expect(left.map((e) => e.data.mark ?? e.type)).toEqual(['now', 'just-after', 'at-cutoff', 'admin.realm.created'])
    expect(await services().events.list({ realmId: realm.id, limit: 1000 })).toEqual(before)
    expect(await services().events.prune(now)).toBe(0)
  })
})

describe.each(DIALECTS)('event retention at start (airlock start) on %s', (dialect) => {
  const place = useCliData(dialect, 'airlock-events-')

  it('a started server with AIRLOCK_EVENT_RETENTION_DAYS=1 prunes older events at once, and says how long it keeps them', async () => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const booted = await boot(loadConfig({ port: String(port), data: place.data, publicUrl: url, env: { ...place.env, LOG_LEVEL: 'silent' } }))
    const realmId = booted.realm.id
    const now = Date.now()
    try {
      await booted.services.admins.create(EMAIL, PASSWORD, null, new Date())
      await booted.services.events.record({ realmId, type: 'user.login.failed', data: { mark: 'two-days-old' } }, new Date(now - 2 * 86_400_000))
      await booted.services.events.record({ realmId, type: 'user.login.failed', data: { mark: 'a-day-and-a-minute-old' } }, new Date(now - 86_400_000 - 60_000))
      await booted.services.events.record({ realmId, type: 'user.login.failed', data: { mark: 'an-hour-old' } }, new Date(now - 3_600_000))
    } finally {
      await booted.close()
    }

    const running = (await runCli(['start', '--data', place.data, '--port', String(port), '--public-url', url], {
      env: { ...place.env, AIRLOCK_HOST: '127.0.0.1', LOG_LEVEL: 'silent', AIRLOCK_EVENT_RETENTION_DAYS: '1' },
      stdout: { write: () => true },
    })) as Running
    try {
      const browser = new Browser(url)
      await browser.get('/admin/login')
      expect((await browser.post('/admin/login', { email: EMAIL, password: PASSWORD })).status).toBe(303)
      expect((await browser.get(`/admin/realms/${realmId}/events?type=user.login.failed`)).status).toBe(200)
      expect(marksIn(browser.lastHtml)).toEqual(['an-hour-old'])
      expect(browser.lastHtml).toContain('Events are kept for 1 day ')
    } finally {
      await running.stop()
    }
  })

  it('refuses to start with an AIRLOCK_EVENT_RETENTION_DAYS that is not 1 to 3650 days, naming the setting', async () => {
    for (const days of ['0', 'abc', '3651', '-5', '1.5', '']) {
      await expect(
        runCli(['start', '--data', place.data, '--port', String(await freePort())], { env: { ...place.env, LOG_LEVEL: 'silent', AIRLOCK_EVENT_RETENTION_DAYS: days }, stdout: { write: () => true } }),
        days,
      ).rejects.toThrow(/^AIRLOCK_EVENT_RETENTION_DAYS must be a number of days from 1 to 3650/)
    }
  })
})
