import { exportSPKI } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arMiddleware, cookieParser, fullLogout, localLogout, requireLogin, type ArMiddlewareOptions } from '../src/index.js'
import { FakeLoginRocket } from './support/fake-loginrocket.js'
import { EXPRESS_VERSIONS, type ExpressFactory } from './support/guide-app.js'
import { get, serve, setCookies, type Running } from './support/http.js'

// The examples of AUTHROCKET-API.md §5.5: the app at http://localhost:3000, LoginRocket at sample.e2.
const SAMPLE = 'https://sample.e2.loginrocket.com/'
const ISSUER = 'https://sample.e2.loginrocket.com'
const APP = 'http://localhost:3000'
const BACK = 'http://localhost:3000/me?x=1'
const ROOT = 'http://localhost:3000/'

/** An app whose `/links` answers with the helpers' output for the contract's inputs; keys verified statically (no network). */
async function parityApp(express: ExpressFactory, lr: FakeLoginRocket, options: Partial<ArMiddlewareOptions> = {}) {
  const app = express()
  app.use(cookieParser())
  app.use(
    arMiddleware({
      authrocket: { loginrocketUrl: SAMPLE, jwtKey: await exportSPKI(lr.keys[0]!.publicKey), issuer: ISSUER },
      appUrl: APP,
      bindTokens: false,
      ...options,
    }),
  )
  app.use('/logout', fullLogout)
  app.use('/local-logout', localLogout)
  app.get('/links', (req, res) => {
    const ar = req.authrocket!
    res.json({
      login: ar.arLoginUrl({ redirect_uri: BACK }),
      loginSpace: ar.arLoginUrl({ q: 'a b' }),
      signup: ar.arSignupUrl(),
      profile: ar.arProfileUrl({ redirect_uri: ar.requestUri() }),
      accounts: ar.arAccountsUrl({ redirect_uri: ROOT }),
      accountsBare: ar.arAccountsUrl(),
      accountsForceFirst: ar.arAccountsUrl({ force: true, redirect_uri: ROOT }),
      accountsUnforced: [false, 0, '', null].map((force) => ar.arAccountsUrl({ redirect_uri: ROOT, force })),
      account: ar.arAccountUrl(),
      accountById: ar.arAccountUrl({ id: 'org_9', redirect_uri: ROOT }),
      accountWithParams: ar.arAccountUrl({ redirect_uri: ROOT }),
      logout: ar.arLogoutUrl({ redirect_uri: ar.requestUri('/') }),
    })
  })
  app.get('/me', requireLogin, (_req, res) => {
    res.send('me')
  })
  app.all(/\/uri$/, (req, res) => {
    const ar = req.authrocket!
    const uri = ar.requestUri()
    res.json({ isUrl: uri instanceof URL, printed: `${uri}`, root: ar.requestUri('/').href, other: String(ar.requestUri('x?y=1')), safe: ar.safeThisUri() })
  })
  app.get('/session', (req, res) => {
    const ar = req.authrocket!
    const session = ar.currentSession!
    res.json({
      session,
      hasMemberships: 'memberships' in session.user,
      membership: ar.currentMembership?.id ?? null,
      org: ar.currentOrg?.id ?? null,
      allowed: ar.hasPermission('forum:moderator'),
      expiresAsDate: new Date(session.expires_at * 1000).toISOString(),
    })
  })
  return serve(app)
}

describe.each(EXPRESS_VERSIONS)("AuthRocket's middleware parity with %s", (_name, express) => {
  let lr: FakeLoginRocket
  let app: Running
  let cookie: string

  beforeAll(async () => {
    lr = await FakeLoginRocket.start()
    app = await parityApp(express, lr)
    const orgs = [{ mid: 'mb_123', oid: 'org_123', name: 'Widgets', perm: ['forum:moderator'], selected: true }]
    cookie = `arToken=${await lr.sign({ sid: 'kss_abc', issuer: ISSUER, claims: { orgs } })}`
  })
  afterAll(async () => {
    await app.close()
    await lr.close()
  })

  it("the LoginRocket links of a logged-in user match AuthRocket's table (§5.5)", async () => {
    const links = await (await get(`${app.url}/links`, { cookie })).json()
    expect(links).toEqual({
      login: 'https://sample.e2.loginrocket.com/login?redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fme%3Fx%3D1',
      loginSpace: 'https://sample.e2.loginrocket.com/login?q=a+b',
      signup: 'https://sample.e2.loginrocket.com/signup',
      profile: 'https://sample.e2.loginrocket.com/profile?redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Flinks',
      accounts: 'https://sample.e2.loginrocket.com/accounts?redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F&force=1',
      accountsBare: 'https://sample.e2.loginrocket.com/accounts?force=1',
      accountsForceFirst: 'https://sample.e2.loginrocket.com/accounts?force=1&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F',
      accountsUnforced: Array(4).fill('https://sample.e2.loginrocket.com/accounts?redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F'),
      account: 'https://sample.e2.loginrocket.com/accounts/org_123',
      accountById: 'https://sample.e2.loginrocket.com/accounts/org_9?redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F',
      accountWithParams: 'https://sample.e2.loginrocket.com/accounts/org_123?redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F',
      logout: 'https://sample.e2.loginrocket.com/logout?redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F&session=kss_abc',
    })
  })

  it('arAccountUrl without an id or a current account is arAccountsUrl (with force=1); arLogoutUrl names no session', async () => {
    const links = await (await get(`${app.url}/links`)).json()
    expect(links.account).toBe('https://sample.e2.loginrocket.com/accounts?force=1')
    expect(links.accountWithParams).toBe('https://sample.e2.loginrocket.com/accounts?redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F&force=1')
    expect(links.accountById).toBe('https://sample.e2.loginrocket.com/accounts/org_9?redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F')
    expect(links.logout).toBe('https://sample.e2.loginrocket.com/logout?redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F')
  })

  it("LOGINROCKET_URL's path is replaced and its query kept, before the helper's parameters", async () => {
    const other = await parityApp(express, lr, {
      authrocket: {
        loginrocketUrl: 'https://sample.e2.loginrocket.com/some/path?realm=rl_1',
        jwtKey: await exportSPKI(lr.keys[0]!.publicKey),
        issuer: ISSUER,
      },
    })
    try {
      const links = await (await get(`${other.url}/links`, { cookie })).json()
      expect(links.login).toBe('https://sample.e2.loginrocket.com/login?realm=rl_1&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fme%3Fx%3D1')
      expect(links.signup).toBe('https://sample.e2.loginrocket.com/signup?realm=rl_1')
      expect(links.accountsBare).toBe('https://sample.e2.loginrocket.com/accounts?realm=rl_1&force=1')
      expect(links.logout).toBe('https://sample.e2.loginrocket.com/logout?realm=rl_1&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F&session=kss_abc')
      const login = await get(`${other.url}/me?x=1`, {})
      expect(login.headers.get('location')).toBe('https://sample.e2.loginrocket.com/login?realm=rl_1&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fme%3Fx%3D1')
    } finally {
      await other.close()
    }
  })

  it("requireLogin, fullLogout and localLogout redirect where AuthRocket's do", async () => {
    const login = await get(`${app.url}/me?x=1`)
    expect(login.status).toBe(302)
    expect(login.headers.get('location')).toBe('https://sample.e2.loginrocket.com/login?redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fme%3Fx%3D1')
    const full = await get(`${app.url}/logout`, { cookie })
    expect(full.headers.get('location')).toBe('https://sample.e2.loginrocket.com/logout?redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F&session=kss_abc')
    const local = await get(`${app.url}/local-logout`, { cookie })
    expect(local.headers.get('location')).toBe('http://localhost:3000/')
  })

  it("the browser's nonce is Airlock's one addition, appended last to the links that bring a token back", async () => {
    const bound = await parityApp(express, lr, { bindTokens: true })
    try {
      const nonce = 'n'.repeat(43)
      const links = await (await get(`${bound.url}/links`, { cookie: `${cookie}; arNonce=${nonce}` })).json()
      expect(links.accounts).toBe(`https://sample.e2.loginrocket.com/accounts?redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F&force=1&nonce=${nonce}`)
      expect(links.login).toBe(`https://sample.e2.loginrocket.com/login?redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fme%3Fx%3D1&nonce=${nonce}`)
      expect(links.accountById).toBe(`https://sample.e2.loginrocket.com/accounts/org_9?redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F&nonce=${nonce}`)
      expect(links.logout).toBe('https://sample.e2.loginrocket.com/logout?redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F&session=kss_abc')
    } finally {
      await bound.close()
    }
  })

  it('requestUri() is a URL that prints as the address; safeThisUri() is a string without token, session and account', async () => {
    const res = await (await get(`${app.url}/uri?a=1&session=kss_1&account=org_1&b=x%20y`)).json()
    expect(res).toEqual({
      isUrl: true,
      printed: 'http://localhost:3000/uri?a=1&session=kss_1&account=org_1&b=x%20y',
      root: 'http://localhost:3000/',
      other: 'http://localhost:3000/x?y=1',
      safe: 'http://localhost:3000/uri?a=1&b=x+y',
    })
    // A request for `//host/...` is a path on this app, never another host.
    const odd = await (await get(`${app.url}//evil.example/uri`)).json()
    expect(odd.printed).toBe('http://localhost:3000//evil.example/uri')
  })

  it('currentSession has created_at and expires_at in Unix seconds (iat and exp), and the user in AuthRocket\'s shape', async () => {
    const body = await (await get(`${app.url}/session`, { cookie })).json()
    const claims = JSON.parse(Buffer.from(cookie.split('.')[1]!, 'base64url').toString())
    expect(body.session).toMatchObject({ object: 'session', id: 'kss_abc', created_at: claims.iat, expires_at: claims.exp, user_id: 'usr_1' })
    expect(body.expiresAsDate).toBe(new Date(claims.exp * 1000).toISOString())
    expect(body.session.user.memberships[0]).toEqual({
      object: 'membership',
      id: 'mb_123',
      permissions: ['forum:moderator'],
      selected: true,
      user_id: 'usr_1',
      org_id: 'org_123',
      org: { object: 'org', id: 'org_123', realm_id: 'rl_test', name: 'Widgets', reference: null, custom: {} },
    })
    expect(body).toMatchObject({ membership: 'mb_123', org: 'org_123', allowed: true })
  })

  it('without an `orgs` claim there are no memberships and no current account (AuthRocket throws a TypeError there)', async () => {
    const token = await lr.sign({ issuer: ISSUER, claims: { orgs: undefined } })
    const body = await (await get(`${app.url}/session`, { cookie: `arToken=${token}` })).json()
    expect(body).toMatchObject({ hasMemberships: false, membership: null, org: null, allowed: false })
    const empty = await lr.sign({ issuer: ISSUER, claims: { orgs: [] } })
    const none = await (await get(`${app.url}/session`, { cookie: `arToken=${empty}` })).json()
    expect(none).toMatchObject({ hasMemberships: true, membership: null, org: null })
    expect(none.session.user.memberships).toEqual([])
  })

  it('with no membership selected, the current one is the first', async () => {
    const orgs = [
      { mid: 'mb_a', oid: 'org_a', name: 'A', perm: [] },
      { mid: 'mb_b', oid: 'org_b', name: 'B', perm: ['forum:moderator'] },
    ]
    const token = await lr.sign({ issuer: ISSUER, claims: { orgs } })
    const body = await (await get(`${app.url}/session`, { cookie: `arToken=${token}` })).json()
    expect(body).toMatchObject({ membership: 'mb_a', org: 'org_a', allowed: false })
  })

  it("the cookie expires with the token unless the app set maxAge or expires; logout clears it with the same options", async () => {
    const token = await lr.sign({ issuer: ISSUER })
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp
    const taken = setCookies(await get(`${app.url}/links?token=${token}`)).find((c) => c.name === 'arToken')!
    expect(taken.attributes).toContain(`Expires=${new Date(exp * 1000).toUTCString()}`)

    const fixed = new Date(Date.UTC(2030, 0, 1))
    for (const [cookieOptions, expected] of [
      [{ maxAge: 60_000 }, /Max-Age=60;/],
      [{ expires: fixed }, new RegExp(`Expires=${fixed.toUTCString()}`)],
    ] as const) {
      const custom = await parityApp(express, lr, { cookieOptions })
      try {
        const set = setCookies(await get(`${custom.url}/links?token=${token}`)).find((c) => c.name === 'arToken')!
        expect(set.attributes).toMatch(expected)
        expect(set.attributes).not.toContain(new Date(exp * 1000).toUTCString())
        const cleared = setCookies(await get(`${custom.url}/local-logout`, { cookie: `arToken=${token}` })).find((c) => c.name === 'arToken')!
        expect(cleared.value).toBe('')
        expect(cleared.attributes).toContain('Expires=Thu, 01 Jan 1970 00:00:00 GMT')
        expect(cleared.attributes).not.toMatch(/Max-Age=60|2030/)
        expect(cleared.attributes).toMatch(/Path=\/; .*HttpOnly/)
      } finally {
        await custom.close()
      }
    }
  })

  it('takes a token from ?token= on GET first, then a bearer token, then the cookie', async () => {
    const [param, bearer, fromCookie] = await Promise.all(
      ['usr_param', 'usr_bearer', 'usr_cookie'].map((sub) => lr.sign({ sub, issuer: ISSUER })),
    )
    const both = { authorization: `Bearer ${bearer}`, cookie: `arToken=${fromCookie}` }
    const handoff = await get(`${app.url}/session?token=${param}`, both)
    expect(handoff.status).toBe(302)
    expect(setCookies(handoff).find((c) => c.name === 'arToken')!.value).toBe(param)
    expect((await (await get(`${app.url}/session`, both)).json()).session.user_id).toBe('usr_bearer')
    expect((await (await get(`${app.url}/session`, { cookie: `arToken=${fromCookie}` })).json()).session.user_id).toBe('usr_cookie')
  })
})
