import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.js'
import { confirmEmail, signUp, type Person } from './support/accounts.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { APP } from './support/accounts.js'
import { startServer, type TestServer } from './support/server.js'

const EMAIL = 'guard-admin@example.com'
const PASSWORD = 'admin password 123'

/** Admin routes anyone may reach: they are how an admin gets in (and out). */
const PUBLIC = new Set(['GET /admin/login', 'POST /admin/login', 'GET /admin/setup', 'POST /admin/setup', 'POST /admin/logout'])

/** Tables whose rows a refused request must leave exactly as they were. */
const TABLES = ['realms', 'signing_keys', 'users', 'sessions', 'orgs', 'memberships', 'invitations', 'one_time_tokens', 'mails', 'admins', 'events'] as const

/**
 * Every admin route the app serves, read from the app itself, so that a page added later without its guard
 * fails here: anonymous browsers and realm users are sent to log in, forms without the CSRF token are refused,
 * and none of it changes a row.
 */
describe.each(DIALECTS)('every admin route is guarded on %s', (dialect) => {
  let server: TestServer
  let user: Person
  let routes: { method: 'GET' | 'POST'; path: string }[]
  let params: Record<string, string>

  beforeAll(async () => {
    server = await startServer({ dialect, trustProxy: true, settings: [`login_urls=${APP}`, 'org_mode=multi_user', 'email_verification=optional'] })
    const services = server.booted.services
    await services.admins.create(EMAIL, PASSWORD, null, services.clock())
    user = await signUp(server, 'guard-user@example.com')
    await confirmEmail(server, user) // so that they may invite
    await user.client.get(`/accounts/${user.orgId}`)
    expect((await user.client.post(`/accounts/${user.orgId}/invitations`, { email: 'guard-invitee@example.com' })).status).toBe(303)
    const db = services.db.kysely
    const invitation = await db.selectFrom('invitations').select('id').executeTakeFirstOrThrow()
    const session = await db.selectFrom('sessions').select('id').where('user_id', '=', user.userId).executeTakeFirstOrThrow()
    const mail = await db.selectFrom('mails').select('id').executeTakeFirstOrThrow()
    params = {
      id: server.booted.realm.id,
      user_id: user.userId,
      org_id: user.orgId,
      mb_id: user.membershipId,
      session_id: session.id,
      mail_id: String(mail.id),
      nvt_id: invitation.id,
    }
    const app = createApp(services, { trustProxy: true, csrfKey: server.booted.csrfKey })
    const seen = new Set<string>()
    routes = []
    for (const route of app.routes) {
      const method = route.method as 'GET' | 'POST'
      if (!['GET', 'POST'].includes(method) || !route.path.startsWith('/admin') || route.path.includes('*')) continue
      if (PUBLIC.has(`${method} ${route.path}`) || seen.has(`${method} ${route.path}`)) continue
      seen.add(`${method} ${route.path}`)
      routes.push({ method, path: route.path })
    }
  })
  afterAll(() => server.close())

  /** The route's path with real ids of this realm in it, so that only the guard can refuse it. */
  function pathOf(route: string): string {
    return route.replace(/:([a-z_]+)/g, (_, name: string) => {
      const value = params[name]
      if (value === undefined) throw new Error(`give the test a real value for :${name} (in ${route})`)
      return value
    })
  }

  async function snapshot(): Promise<string> {
    const db = server.booted.services.db.kysely
    const rows = await Promise.all(TABLES.map((table) => db.selectFrom(table).selectAll().execute()))
    return JSON.stringify(rows, (_, value: unknown) => (value instanceof Date ? value.toISOString() : value))
  }

  async function admin(): Promise<Client> {
    const client = new Client(server)
    await client.get('/admin/login')
    expect((await client.post('/admin/login', { email: EMAIL, password: PASSWORD })).status).toBe(303)
    return client
  }

  it('finds the portal’s pages and forms', () => {
    const found = routes.map((route) => `${route.method} ${route.path}`)
    expect(found).toEqual(expect.arrayContaining(['GET /admin', 'GET /admin/realms', 'POST /admin/realms', 'POST /admin/realms/:id/settings', 'POST /admin/realms/:id/keys/rotate']))
    expect(routes.length).toBeGreaterThan(10)
  })

  it('every page renders for an admin (no 500 with real ids)', async () => {
    const client = await admin()
    for (const route of routes.filter((r) => r.method === 'GET')) {
      const res = await client.get(pathOf(route.path))
      expect(res.status, route.path).toBeLessThan(400)
    }
  })

  it('sends anonymous browsers and realm users to log in, from every page and every form, changing nothing', async () => {
    const anonymous = new Client(server)
    // Both hold a valid CSRF token for their browser, so that only the admin guard can refuse them.
    await anonymous.get('/admin/login')
    await user.client.get('/admin/login')
    const before = await snapshot()
    for (const client of [anonymous, user.client]) {
      for (const route of routes) {
        const path = pathOf(route.path)
        const res = route.method === 'GET' ? await client.get(path) : await client.post(path, { confirm: 'yes', email: 'guard-user@example.com' })
        expect(res.status, `${route.method} ${path}`).toBe(303)
        expect(res.headers.get('location'), `${route.method} ${path}`).toBe('/admin/login')
      }
    }
    expect(await snapshot()).toBe(before)
  })

  it('refuses every form without the CSRF token, or with another browser’s, or from another site, changing nothing', async () => {
    const client = await admin()
    const other = await admin()
    await other.get('/admin')
    const before = await snapshot()
    for (const route of routes.filter((r) => r.method === 'POST')) {
      const path = pathOf(route.path)
      await client.get('/admin')
      const fields = { confirm: 'yes', email: 'guard-user@example.com' }
      expect((await client.post(path, { ...fields, csrf: '' })).status, path).toBe(403)
      expect((await client.post(path, { ...fields, csrf: other.csrf })).status, path).toBe(403)
      expect((await client.post(path, fields, { origin: 'https://evil.example' })).status, path).toBe(403)
    }
    expect(await snapshot()).toBe(before)
  })
})
