import { describe, expect, it } from 'vitest'
import { EXPRESS_VERSIONS, guideApp, useGuideApp } from './support/guide-app.js'
import { applyCookies, comeBack, nonceCookie, startLogin } from './support/handoff.js'
import { get, serve, setCookies, type TestResponse } from './support/http.js'

const loginCookie = (res: TestResponse) => setCookies(res).find((c) => c.name === 'arToken')

describe.each(EXPRESS_VERSIONS)('the ?token= handoff is bound to the browser, with %s', (_name, express) => {
  const env = useGuideApp(express)

  /** The attacker's own genuine login, gone through the app in the attacker's browser: bound to the attacker's nonce. */
  async function attackersToken(): Promise<string> {
    const trip = await startLogin(`${env.app.url}/private`)
    return env.lr.sign({ sub: 'usr_attacker', sid: 'kss_attacker', claims: { nonce: trip.nonce } })
  }

  /** Where an unbound token sends the browser: LoginRocket's /login, to come back here with this browser's nonce. */
  function expectBounce(res: TestResponse, back: string, nonce?: string) {
    expect(res.status).toBe(302)
    const to = new URL(res.headers.get('location')!)
    expect(to.origin + to.pathname).toBe(`${env.lr.url}/login`)
    expect(to.searchParams.get('redirect_uri')).toBe(back)
    expect(to.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    if (nonce !== undefined) expect(to.searchParams.get('nonce')).toBe(nonce)
    expect(loginCookie(res)).toBeUndefined()
    return to
  }

  it("an attacker's valid token in a link does not log the victim in", async () => {
    const planted = await env.lr.sign({ sub: 'usr_attacker', sid: 'kss_attacker' })
    const res = await get(`${env.app.url}/notes?draft=1&token=${planted}`)
    expectBounce(res, `${env.app.url}/notes?draft=1`)
    const after = await get(`${env.app.url}/`, { cookie: applyCookies('', res) })
    expect((await after.json()).user).toBeNull()
  })

  it("an attacker's valid token in a link does not replace the victim's login", async () => {
    const victim = await startLogin(`${env.app.url}/private`)
    const installed = await comeBack(victim, await env.lr.sign({ sub: 'usr_victim', sid: 'kss_victim', claims: { nonce: victim.nonce } }))
    const browser = applyCookies(victim.cookie, installed)
    expect((await (await get(`${env.app.url}/`, { cookie: browser })).json()).user).toBe('usr_victim')

    const res = await get(`${env.app.url}/?token=${await attackersToken()}`, { cookie: browser })
    expectBounce(res, `${env.app.url}/`, victim.nonce)
    const after = await get(`${env.app.url}/`, { cookie: applyCookies(browser, res) })
    expect((await after.json()).user).toBe('usr_victim')
  })

  it("a token with another browser's nonce is refused", async () => {
    const victim = await startLogin(`${env.app.url}/private`)
    const res = await comeBack(victim, await attackersToken())
    expectBounce(res, `${env.app.url}/private`, victim.nonce)
  })

  it('a token without nonce is refused, even in a browser that is logging in', async () => {
    const victim = await startLogin(`${env.app.url}/private`)
    const res = await comeBack(victim, await env.lr.sign({ sub: 'usr_attacker' }))
    expectBounce(res, `${env.app.url}/private`, victim.nonce)
  })

  it("a token carrying the browser's nonce is installed (the legitimate flow), in two tabs at once", async () => {
    const first = await startLogin(`${env.app.url}/private`)
    const second = await startLogin(`${env.app.url}/admin`, { cookie: first.cookie })
    expect(second.nonce).toBe(first.nonce)
    for (const trip of [first, second]) {
      const res = await comeBack(trip, await env.lr.sign({ claims: { nonce: trip.nonce } }))
      expect(res.status).toBe(302)
      expect(res.headers.get('location')).toBe(new URL(trip.to.searchParams.get('redirect_uri')!).pathname)
      const page = await get(`${env.app.url}/private`, { cookie: applyCookies(trip.cookie, res) })
      expect((await page.json()).user).toBe('usr_1')
    }
  })

  it('a bookmark or mailed link with a token of no browser logs the right user in after one trip through /login', async () => {
    const old = await env.lr.sign()
    const bounce = await get(`${env.app.url}/private?token=${old}`)
    const to = expectBounce(bounce, `${env.app.url}/private`)
    const browser = applyCookies('', bounce)
    // LoginRocket's own session signs the browser straight back in, with the nonce it was given.
    const back = await get(`${env.app.url}/private?token=${await env.lr.sign({ claims: { nonce: to.searchParams.get('nonce')! } })}`, { cookie: browser })
    expect(back.headers.get('location')).toBe('/private')
    const page = await get(`${env.app.url}/private`, { cookie: applyCookies(browser, back) })
    expect((await page.json()).user).toBe('usr_1')
  })

  it('no loop against a LoginRocket that drops the nonce: the second unbound token stops with a 400 page and a warning', async () => {
    const warnings: string[] = []
    const server = await serve(guideApp(express, { authrocket: { loginrocketUrl: env.lr.url }, logger: { warn: (m) => warnings.push(m) } }))
    try {
      const trip = await startLogin(`${server.url}/private`)
      const bounce = await get(`${server.url}/private?token=${await env.lr.sign()}`, { cookie: trip.cookie })
      expect(bounce.status).toBe(302)
      const browser = applyCookies(trip.cookie, bounce)
      const again = await get(`${server.url}/private?token=${await env.lr.sign()}`, { cookie: browser })
      expect(again.status).toBe(400)
      expect(again.headers.get('content-type')).toMatch(/text\/html/)
      expect(await again.text()).toContain('Login not completed')
      expect(loginCookie(again)).toBeUndefined()
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/without this browser's nonce/)
      expect(warnings[0]).toMatch(/bindTokens: false/)
      expect(warnings[0]).not.toMatch(/eyJ/)
      // The marker is gone: a later login starts afresh rather than failing.
      const later = applyCookies(browser, again)
      const fresh = await get(`${server.url}/private?token=${await env.lr.sign({ claims: { nonce: trip.nonce } })}`, { cookie: later })
      expect(loginCookie(fresh)).toBeDefined()
    } finally {
      await server.close()
    }
  })

  it('bindTokens: false installs a token without nonce (for a LoginRocket that cannot sign one) and sends no nonce', async () => {
    const server = await serve(guideApp(express, { authrocket: { loginrocketUrl: env.lr.url }, bindTokens: false }))
    try {
      const toLogin = await get(`${server.url}/private`)
      expect(new URL(toLogin.headers.get('location')!).searchParams.has('nonce')).toBe(false)
      expect(nonceCookie(toLogin)).toBeUndefined()
      const res = await get(`${server.url}/private?token=${await env.lr.sign()}`)
      expect(res.headers.get('location')).toBe('/private')
      expect(loginCookie(res)).toBeDefined()
    } finally {
      await server.close()
    }
  })
})
