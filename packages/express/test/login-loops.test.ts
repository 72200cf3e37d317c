import { exportSPKI, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeLoginRocket, rsaKey } from './support/fake-loginrocket.js'
import { EXPRESS_VERSIONS, guideApp } from './support/guide-app.js'
import { applyCookies, comeBack, startLogin } from './support/handoff.js'
import { get, serve, type Running } from './support/http.js'

describe.each(EXPRESS_VERSIONS)('no silent login loops, with %s', (_name, express) => {
  let lr: FakeLoginRocket
  let app: Running
  const warnings: string[] = []

  beforeAll(async () => {
    lr = await FakeLoginRocket.start()
    app = await serve(guideApp(express, { authrocket: { loginrocketUrl: lr.url }, logger: { warn: (m) => warnings.push(m) } }))
  })
  afterAll(async () => {
    await app.close()
    await lr.close()
  })

  /**
   * A browser opens `page`, goes to LoginRocket and comes back with the token `tokenFor` makes for its nonce; the
   * app drops it and sends the browser to LoginRocket once more, which answers the same way. Returns the answer
   * to the page the app then redirects to, and how many times the browser was sent to /login.
   */
  async function twoRefusals(tokenFor: (nonce: string) => Promise<string>, page = '/private', on: Running = app) {
    let trip = await startLogin(`${on.url}${page}`)
    let cookie = trip.cookie
    let trips = 1
    for (;;) {
      const back = await comeBack(trip, await tokenFor(trip.nonce), { cookie })
      expect(back.status).toBe(302)
      expect(back.headers.get('location')).toBe(page)
      cookie = applyCookies(cookie, back)
      const res = await get(`${on.url}${page}`, { cookie })
      if (res.status !== 302 || trips === 3) return { res, trips, cookie: applyCookies(cookie, res) }
      trips++
      const to = new URL(res.headers.get('location')!)
      expect(to.origin + to.pathname).toBe(`${lr.url}/login`)
      trip = { to, nonce: to.searchParams.get('nonce')!, cookie }
    }
  }

  async function expectStopped(result: Awaited<ReturnType<typeof twoRefusals>>, ...reason: string[]) {
    expect(result.trips).toBe(2)
    expect(result.res.status).toBe(500)
    expect(result.res.headers.get('location')).toBeNull()
    const html = await result.res.text()
    for (const words of reason) expect(html).toContain(words)
    const logged = warnings.filter((w) => w.includes(reason[0]!.replace(/&#39;/g, "'")))
    expect(logged).toHaveLength(1)
  }

  it('a token from another issuer, twice in a row, ends at an error page naming both issuers and the setting', async () => {
    const result = await twoRefusals((nonce) => lr.sign({ issuer: 'https://x.example', claims: { nonce } }))
    await expectStopped(result, `issuer https://x.example isn&#39;t the expected ${lr.url}`, 'authrocket.issuer', '/.well-known/openid-configuration')
  })

  it('the same cause again is logged once, not once per browser', async () => {
    const before = warnings.length
    const result = await twoRefusals((nonce) => lr.sign({ issuer: 'https://x.example', claims: { nonce } }))
    expect(result.res.status).toBe(500)
    expect(warnings.length).toBe(before)
  })

  it('a token signed with a key the JWKS does not publish ends at an error page naming the key and LOGINROCKET_URL', async () => {
    const stranger = await rsaKey('k-stranger')
    const result = await twoRefusals((nonce) => lr.sign({ key: stranger, claims: { nonce } }))
    await expectStopped(result, 'signed with key k-stranger', `${lr.url}/connect/jwks`, 'LOGINROCKET_URL')
  })

  it('a token issued ahead of the app clock beyond the leeway ends at an error page about the clocks', async () => {
    const result = await twoRefusals((nonce) => lr.sign({ expiresIn: 3600 + 120, lifetime: 3600, claims: { nonce } }))
    await expectStopped(result, "seconds ahead of this server&#39;s clock", 'NTP')
  })

  it('a token already expired on arrival, twice in a row, ends at an error page about the clocks', async () => {
    const result = await twoRefusals((nonce) => lr.sign({ expiresIn: -60, lifetime: 3600, claims: { nonce } }))
    await expectStopped(result, 'had already expired when it arrived', 'NTP')
  })

  it('a token signed with HS256 where the app expects RS256 ends at an error page naming AUTHROCKET_JWT_KEY', async () => {
    const secret = new TextEncoder().encode('jsk_a-shared-secret-of-the-realm-0123456789')
    const hs256 = (nonce: string) =>
      new SignJWT({ rid: 'rl_test', sid: 'kss_1', nonce })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject('usr_1')
        .setIssuer(lr.url)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(secret)
    const result = await twoRefusals(hs256)
    await expectStopped(result, 'signed with HS256 but this app expects RS256', 'AUTHROCKET_JWT_KEY')
  })

  it('a static AUTHROCKET_JWT_KEY that is not the realm’s key ends at an error page naming AUTHROCKET_JWT_KEY', async () => {
    const stranger = await rsaKey('k1')
    const keyed = await serve(
      guideApp(express, { authrocket: { loginrocketUrl: lr.url, jwtKey: await exportSPKI(stranger.publicKey) }, logger: { warn: (m) => warnings.push(m) } }),
    )
    try {
      const result = await twoRefusals((nonce) => lr.sign({ claims: { nonce } }), '/private', keyed)
      await expectStopped(result, 'signature doesn&#39;t verify with AUTHROCKET_JWT_KEY')
    } finally {
      await keyed.close()
    }
  })

  it('requirePermission stops the loop for an anonymous browser too', async () => {
    const result = await twoRefusals((nonce) => lr.sign({ issuer: 'https://y.example', claims: { nonce } }), '/moderate')
    expect(result.trips).toBe(2)
    expect(result.res.status).toBe(500)
  })

  it('after the error page, a reload tries one more trip: once the setting is fixed, the login works', async () => {
    const { cookie } = await twoRefusals((nonce) => lr.sign({ issuer: 'https://x.example', claims: { nonce } }))
    expect(cookie).not.toContain('arTokenRefused')
    const res = await get(`${app.url}/private`, { cookie })
    expect(res.status).toBe(302)
    const to = new URL(res.headers.get('location')!)
    const trip = { to, nonce: to.searchParams.get('nonce')!, cookie: applyCookies(cookie, res) }
    const back = await comeBack(trip, await lr.sign({ claims: { nonce: trip.nonce } }))
    const page = await get(`${app.url}/private`, { cookie: applyCookies(trip.cookie, back) })
    expect(page.status).toBe(200)
  })

  it('a stale bookmark with an expired token gets one normal trip to /login, and the fresh token logs in', async () => {
    const stale = await lr.sign({ expiresIn: -3600 })
    const bookmark = await get(`${app.url}/private?token=${stale}`)
    expect(bookmark.headers.get('location')).toBe('/private')
    let cookie = applyCookies('', bookmark)
    const toLogin = await get(`${app.url}/private`, { cookie })
    expect(toLogin.status).toBe(302)
    const to = new URL(toLogin.headers.get('location')!)
    expect(to.origin + to.pathname).toBe(`${lr.url}/login`)
    cookie = applyCookies(cookie, toLogin)
    const back = await comeBack({ to, nonce: to.searchParams.get('nonce')!, cookie }, await lr.sign({ claims: { nonce: to.searchParams.get('nonce') } }))
    cookie = applyCookies(cookie, back)
    expect(cookie).not.toContain('arTokenRefused')
    const page = await get(`${app.url}/private`, { cookie })
    expect(page.status).toBe(200)
    expect((await page.json()).user).toBe('usr_1')
  })
})

describe('an unreachable discovery document', () => {
  it('leaves the LoginRocket URL’s origin as the issuer: logins go on, and the cause is logged once', async () => {
    const [, express] = EXPRESS_VERSIONS[0]!
    const lr = await FakeLoginRocket.start()
    lr.discoveryStatus = 503
    const warnings: string[] = []
    const app = await serve(guideApp(express, { authrocket: { loginrocketUrl: lr.url }, logger: { warn: (m) => warnings.push(m) } }))
    try {
      for (let i = 0; i < 3; i++) {
        const trip = await startLogin(`${app.url}/private`)
        const back = await comeBack(trip, await lr.sign({ claims: { nonce: trip.nonce } }))
        const page = await get(`${app.url}/private`, { cookie: applyCookies(trip.cookie, back) })
        expect(page.status).toBe(200)
      }
      expect(lr.discoveryHits).toBeGreaterThan(0)
      expect(warnings.filter((w) => w.includes('cannot read the realm\'s issuer'))).toHaveLength(1)
    } finally {
      await app.close()
      await lr.close()
    }
  })
})
