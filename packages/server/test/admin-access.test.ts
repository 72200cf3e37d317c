import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRealm } from '../src/services/realms.js'
import { APP, signUp } from './support/accounts.js'
import { Client, freshIp } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { startServer, type TestServer } from './support/server.js'

const EMAIL = 'Root@Example.com'
const PASSWORD = 'admin password 123'
const OTHER_HOST = 'login.other-admin.test'
const MINUTE = 60_000

describe.each(DIALECTS)('admin portal access on %s', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startServer({ dialect, trustProxy: true, settings: [`login_urls=${APP}`] })
    await createRealm(server.booted.services, 'Other', `http://${OTHER_HOST}`, { kind: 'cli' })
  })
  afterAll(() => server.close())

  const services = () => server.booted.services
  const realClock = () => new Date()
  /** Moves the server's clock `ms` ahead of now (0 puts it back). */
  const shiftClock = (ms: number) => {
    services().clock = ms === 0 ? realClock : () => new Date(Date.now() + ms)
  }
  const newLink = async () => (await services().admins.setupSecret(services().clock()))!
  const adminCount = async () => (await services().db.kysely.selectFrom('admins').select('id').execute()).length

  async function login(email = EMAIL, password = PASSWORD, ip?: string): Promise<{ client: Client; res: Response }> {
    const client = new Client(server, ip)
    await client.get('/admin/login')
    const res = await client.post('/admin/login', { email, password })
    return { client, res }
  }

  it('a newer setup link leaves the older one working (another process may have printed it)', async () => {
    const first = await newLink()
    const second = await newLink()
    const client = new Client(server)
    expect((await client.get(`/admin/setup?token=${first}`)).status).toBe(200)
    expect(client.browser.lastHtml).toContain('Create the first admin')
    expect((await client.get(`/admin/setup?token=${second}`)).status).toBe(200)
    expect(client.browser.lastHtml).toContain('Create the first admin')
  })

  it('a setup link stops working after 24 hours', async () => {
    const token = await newLink()
    const client = new Client(server)
    try {
      shiftClock(24 * 60 * MINUTE + MINUTE)
      expect((await client.get(`/admin/setup?token=${token}`)).status).toBe(410)
    } finally {
      shiftClock(0)
    }
    expect((await client.get(`/admin/setup?token=${token}`)).status).toBe(200)
  })

  it('the setup link checks the form, creates the first admin once and logs them in', async () => {
    const token = await newLink()
    const client = new Client(server)
    expect((await client.get(`/admin/setup?token=${token}`)).status).toBe(200)
    const weak = await client.post('/admin/setup', { token, email: EMAIL, password: 'short', confirm: 'short' })
    expect(weak.status).toBe(422)
    expect(client.browser.lastHtml).toContain('Use at least 8 characters.')
    const mismatch = await client.post('/admin/setup', { token, email: EMAIL, password: PASSWORD, confirm: `${PASSWORD}!` })
    expect(mismatch.status).toBe(422)
    expect(client.browser.lastHtml).toContain('The passwords don’t match.')
    expect(await adminCount()).toBe(0)

    const res = await client.post('/admin/setup', { token, email: EMAIL, password: PASSWORD, confirm: PASSWORD })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/admin')
    const cookie = res.headers.getSetCookie().find((line) => line.startsWith('airlock_admin='))!
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    const home = await client.get('/admin')
    expect(home.status).toBe(200)
    expect(client.browser.lastHtml).toContain('Signed in as <strong>Root@Example.com</strong>')
    expect(client.browser.lastHtml).toContain(server.url)
    expect(client.browser.lastHtml).toContain(`http://${OTHER_HOST}`)
    expect(await adminCount()).toBe(1)

    // The link is used up, and the portal is set up.
    const again = new Client(server)
    expect((await again.get(`/admin/setup?token=${token}`)).status).toBe(410)
    expect(again.browser.lastHtml).toContain('The portal is already set up')
    await again.get('/admin/login')
    const replay = await again.post('/admin/setup', { token, email: 'second@example.com', password: PASSWORD, confirm: PASSWORD })
    expect(replay.status).toBe(410)
    expect(await adminCount()).toBe(1)
  })

  it('no setup link is made once an admin exists, and earlier links are refused', async () => {
    expect(await services().admins.setupSecret(services().clock())).toBeNull()
    const client = new Client(server)
    expect((await client.get('/admin/setup?token=anything')).status).toBe(410)
    expect(client.browser.lastHtml).toContain('The portal is already set up')
  })

  it('an admin logs in with email (any case) and password', async () => {
    const { client, res } = await login('root@EXAMPLE.com ', PASSWORD)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/admin')
    expect((await client.get('/admin')).status).toBe(200)
    expect(client.browser.lastHtml).toContain('Signed in as')
    // Already logged in: the login page sends the admin home.
    expect((await client.get('/admin/login')).headers.get('location')).toBe('/admin')
  })

  it('an unknown email and a wrong password get the same page and status', async () => {
    const unknown = await login('nobody@example.com', PASSWORD)
    const wrong = await login(EMAIL, 'wrong password 123')
    expect(unknown.res.status).toBe(401)
    expect(wrong.res.status).toBe(401)
    const scrub = (html: string) => html.replace(/name="csrf" value="[^"]*"/, '').replace(/value="[^"]*@[^"]*"/, '')
    expect(scrub(await unknown.res.text())).toBe(scrub(await wrong.res.text()))
    expect(unknown.client.browser.lastHtml).toContain('That email and password don’t match an admin.')
    expect(unknown.res.headers.getSetCookie().some((line) => line.startsWith('airlock_admin='))).toBe(false)
    expect((await wrong.client.get('/admin')).headers.get('location')).toBe('/admin/login')
  })

  it('a session idle for 30 minutes is over; each request extends it', async () => {
    const { client } = await login()
    try {
      shiftClock(20 * MINUTE)
      expect((await client.get('/admin')).status).toBe(200)
      shiftClock(45 * MINUTE)
      expect((await client.get('/admin')).status).toBe(200)
      shiftClock(45 * MINUTE + 31 * MINUTE)
      const res = await client.get('/admin')
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe('/admin/login')
    } finally {
      shiftClock(0)
    }
  })

  it('logout ends the session, also for a copy of its cookie', async () => {
    const { client } = await login()
    await client.get('/admin')
    const stolen = client.cookieHeader
    const res = await client.post('/admin/logout', {})
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/admin/login')
    expect((await client.get('/admin')).headers.get('location')).toBe('/admin/login')
    const replay = await new Client(server).get('/admin', { cookie: stolen })
    expect(replay.status).toBe(303)
    expect(replay.headers.get('location')).toBe('/admin/login')
  })

  it('refuses anonymous browsers and realm users on every admin route', async () => {
    const anonymous = new Client(server)
    const user = await signUp(server, 'realm-user@example.com')
    for (const client of [anonymous, user.client]) {
      for (const path of ['/admin', '/admin/realms', '/admin/anything/else']) {
        const res = await client.get(path)
        expect(res.status, path).toBe(303)
        expect(res.headers.get('location'), path).toBe('/admin/login')
      }
      await client.get('/admin/login')
      const post = await client.post('/admin/realms', { name: 'x' })
      expect(post.status).toBe(303)
      expect(post.headers.get('location')).toBe('/admin/login')
    }
    // The realm user's session is one on the realm, not in the portal.
    expect(user.client.cookieHeader).toContain('lr_session=')
    expect(user.client.cookieHeader).not.toContain('airlock_admin=')
  })

  it('refuses forms without the CSRF token', async () => {
    const anonymous = new Client(server)
    await anonymous.get('/admin/login')
    expect((await anonymous.post('/admin/login', { email: EMAIL, password: PASSWORD, csrf: '' })).status).toBe(403)
    const { client } = await login()
    await client.get('/admin')
    expect((await client.post('/admin/logout', { csrf: '' })).status).toBe(403)
    expect((await client.get('/admin')).status).toBe(200)
    expect((await client.post('/admin/logout', { csrf: 'forged' })).status).toBe(403)
  })

  it('is not found on another realm’s host', async () => {
    const other = { 'x-forwarded-host': OTHER_HOST }
    const client = new Client(server)
    expect((await client.get('/login', other)).status).toBe(200)
    for (const path of ['/admin', '/admin/login', '/admin/setup?token=x', '/admin/anything']) {
      expect((await client.get(path, other)).status, path).toBe(404)
    }
    expect((await client.post('/admin/login', { email: EMAIL, password: PASSWORD }, other)).status).toBe(404)
    // An admin's cookie does not open it there either.
    const admin = await login()
    expect((await admin.client.get('/admin', other)).status).toBe(404)
  })

  it('throttles failed admin logins per account and per address', async () => {
    const target = 'throttled@example.com'
    await services().admins.create(target, PASSWORD, null, services().clock())
    const ip = freshIp()
    for (let i = 0; i < 10; i++) expect((await login(target, `wrong password ${i}`, ip)).res.status).toBe(401)
    // From that address, the account's limit holds, even for the right password...
    const blocked = await login(target, PASSWORD, ip)
    expect(blocked.res.status).toBe(429)
    expect(blocked.res.headers.get('retry-after')).toMatch(/^\d+$/)
    // ...but someone guessing elsewhere never locks the admin out (100 per hour from everywhere still do).
    expect((await login(target, PASSWORD)).res.status).toBe(303)

    const client = new Client(server)
    await client.get('/admin/login')
    for (let i = 0; i < 50; i++) expect((await client.post('/admin/login', { email: `nobody${i}@example.com`, password: 'wrong password' })).status).toBe(401)
    expect((await client.post('/admin/login', { email: 'nobody-more@example.com', password: 'wrong password' })).status).toBe(429)
  })
})
