import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arMiddleware, cookieParser } from '../src/index.js'
import { FakeLoginRocket } from './support/fake-loginrocket.js'
import { EXPRESS_VERSIONS, guideApp } from './support/guide-app.js'
import { nonceCookie } from './support/handoff.js'
import { get, getWithHost, serve, setCookies, type Running } from './support/http.js'

describe.each(EXPRESS_VERSIONS)('helpers with %s', (_name, express) => {
  let lr: FakeLoginRocket
  let app: Running
  let login: { cookie: string }

  beforeAll(async () => {
    lr = await FakeLoginRocket.start()
    app = await serve(guideApp(express, { authrocket: { loginrocketUrl: `${lr.url}/` } }))
    login = { cookie: `arToken=${await lr.sign()}` }
  })
  afterAll(async () => {
    await app.close()
    await lr.close()
  })

  it("builds the nav links to LoginRocket, with redirect_uri where asked and the browser's nonce", async () => {
    const res = await get(`${app.url}/nav?q=a%20b`, login)
    const nav = await res.json()
    const nonce = nonceCookie(res)!
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const here = `${app.url}/nav?q=a%20b`
    expect(nav).toEqual({
      login: `${lr.url}/login?nonce=${nonce}`,
      signup: `${lr.url}/signup?nonce=${nonce}`,
      profile: `${lr.url}/profile?redirect_uri=${encodeURIComponent(here)}&nonce=${nonce}`,
      account: `${lr.url}/accounts/org_1?nonce=${nonce}`,
      accounts: `${lr.url}/accounts?redirect_uri=${encodeURIComponent(here)}&force=1&nonce=${nonce}`,
      logout: `${lr.url}/logout?session=kss_1`,
      requestUri: here,
      // Form-encoded once its login parameters are taken out, as AuthRocket's (URLSearchParams).
      safeThisUri: `${app.url}/nav?q=a+b`,
      locals: true,
    })
  })

  it('points "manage current account" at the account list when no account is selected', async () => {
    const res = await get(`${app.url}/nav`)
    const nav = await res.json()
    expect(nav.account).toBe(`${lr.url}/accounts?force=1&nonce=${nonceCookie(res)}`)
    expect(nav.logout).toBe(`${lr.url}/logout`)
  })

  it("keeps the browser's nonce: one cookie per page however many links, the same nonce on every page while its cookie lasts (30 minutes)", async () => {
    const first = await get(`${app.url}/nav`)
    const cookies = setCookies(first).filter((c) => c.name === 'arNonce')
    expect(cookies).toHaveLength(1)
    expect(cookies[0]!.attributes).toMatch(/Max-Age=1800/)
    expect(cookies[0]!.attributes).toMatch(/HttpOnly/)
    expect(cookies[0]!.attributes).toMatch(/SameSite=Lax/)
    expect(cookies[0]!.attributes).toMatch(/Path=\//)
    const nonce = cookies[0]!.value
    const again = await get(`${app.url}/nav`, { cookie: `arNonce=${nonce}` })
    expect((await again.json()).login).toBe(`${lr.url}/login?nonce=${nonce}`)
    // A browser that has its nonce gets no Set-Cookie for it, page after page; a malformed one is replaced.
    expect(nonceCookie(again)).toBeUndefined()
    const bad = await get(`${app.url}/nav`, { cookie: 'arNonce=short' })
    expect(nonceCookie(bad)).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it("requestUri honours Express's trust proxy, and ignores forwarded headers from untrusted peers", async () => {
    const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com, inner' }
    expect((await (await get(`${app.url}/nav`, headers)).json()).requestUri).toBe(`${app.url}/nav`)

    const proxied = guideApp(express, { authrocket: { loginrocketUrl: lr.url } })
    proxied.set('trust proxy', true)
    const server = await serve(proxied)
    try {
      expect((await (await get(`${server.url}/nav`, headers)).json()).requestUri).toBe('https://app.example.com/nav')
    } finally {
      await server.close()
    }
  })

  it('appUrl replaces the Host header in links and redirects', async () => {
    const fixed = await serve(guideApp(express, { authrocket: { loginrocketUrl: lr.url }, appUrl: 'https://app.example.com' }))
    try {
      const nav = JSON.parse((await getWithHost(`${fixed.url}/nav`, 'evil.example')).body)
      expect(nav.requestUri).toBe('https://app.example.com/nav')
      const res = await get(`${fixed.url}/private`)
      expect(new URL(res.headers.get('location')!).searchParams.get('redirect_uri')).toBe('https://app.example.com/private')
    } finally {
      await fixed.close()
    }
  })

  it('a malformed Host header cannot inject into links', async () => {
    for (const host of ['a@evil.example', 'evil.example/x?', 'evil.example"><script>']) {
      const nav = JSON.parse((await getWithHost(`${app.url}/nav`, host)).body)
      expect(nav.requestUri).toBe('http://localhost/nav')
    }
    const plain = JSON.parse((await getWithHost(`${app.url}/nav`, 'app.example.com:8080')).body)
    expect(plain.requestUri).toBe('http://app.example.com:8080/nav')
  })

  it("exposes the current session, user, membership and org in AuthRocket's shapes", async () => {
    const token = await lr.sign({ claims: { preferred_username: 'dave', locale: 'en', ref: 'ext-1', cs: { plan: 'pro' } } })
    const probe = express()
    probe.use(cookieParser())
    probe.use(arMiddleware({ authrocket: { loginrocketUrl: lr.url } }))
    probe.get('/', (req, res) => {
      const ar = req.authrocket!
      res.json({
        session: ar.currentSession,
        membership: ar.currentMembership,
        org: ar.currentOrg,
        moderator: ar.hasPermission('forum:moderator'),
        pattern: ar.hasPermission(/^forum:/g),
        admin: ar.hasPermission('site:admin'),
      })
    })
    const server = await serve(probe)
    try {
      const body = await (await get(server.url, { cookie: `arToken=${token}` })).json()
      const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
      const org = { object: 'org', id: 'org_1', realm_id: 'rl_test', name: 'Widgets, Inc.', reference: null, custom: {} }
      const membership = {
        object: 'membership',
        id: 'mb_1',
        permissions: ['forum:moderator'],
        selected: true,
        user_id: 'usr_1',
        org_id: 'org_1',
        org,
      }
      expect(body).toEqual({
        session: {
          object: 'session',
          id: 'kss_1',
          created_at: claims.iat,
          expires_at: claims.exp,
          token,
          user_id: 'usr_1',
          user: {
            object: 'user',
            id: 'usr_1',
            realm_id: 'rl_test',
            username: 'dave',
            first_name: 'Dave',
            last_name: 'Smith',
            name: 'Dave Smith',
            email: 'dave@example.com',
            email_verification: 'verified',
            locale: 'en',
            reference: 'ext-1',
            custom: { plan: 'pro' },
            memberships: [membership],
          },
        },
        membership,
        org,
        moderator: true,
        pattern: true,
        admin: false,
      })
    } finally {
      await server.close()
    }
  })

  it("renders the guide's pug nav with `authrocket` in the view", async () => {
    const views = mkdtempSync(join(tmpdir(), 'airlock-views-'))
    writeFileSync(
      join(views, 'nav.pug'),
      [
        'nav',
        '  if authrocket.currentUser',
        '    span Hi, #{authrocket.currentUser.first_name}!',
        '    a(href=authrocket.arProfileUrl({redirect_uri: authrocket.requestUri()})) Manage Profile',
        "    a(href='/logout') Logout",
        '  else',
        '    a(href=authrocket.arSignupUrl()) Signup',
        '    a(href=authrocket.arLoginUrl()) Login',
      ].join('\n'),
    )
    const site = express()
    site.set('views', views)
    site.set('view engine', 'pug')
    site.use(cookieParser())
    site.use(arMiddleware({ authrocket: { loginrocketUrl: lr.url } }))
    site.get('/', (_req, res) => res.render('nav'))
    const server = await serve(site)
    try {
      const nonce = 'n'.repeat(43)
      const loggedIn = await (await get(server.url, { cookie: `${login.cookie}; arNonce=${nonce}` })).text()
      expect(loggedIn).toContain('<span>Hi, Dave!</span>')
      expect(loggedIn).toContain(`href="${lr.url}/profile?redirect_uri=${encodeURIComponent(`${server.url}/`)}&amp;nonce=${nonce}"`)
      expect(loggedIn).toContain('<a href="/logout">Logout</a>')
      const anonymous = await (await get(server.url, { cookie: `arNonce=${nonce}` })).text()
      expect(anonymous).toContain(`<a href="${lr.url}/signup?nonce=${nonce}">Signup</a><a href="${lr.url}/login?nonce=${nonce}">Login</a>`)
    } finally {
      await server.close()
    }
  })
})
