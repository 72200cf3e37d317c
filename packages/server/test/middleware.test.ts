import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { arMiddleware, cookieParser, fullLogout, requireLogin } from '@airlock/express'
import { Browser, claimsOf, tokenFrom } from './support/browser.js'
import { DIALECTS } from './support/dialects.js'
import { readJson } from './support/json.js'
import { startServer, type TestServer } from './support/server.js'

/** The guide's app, pointed at a real Airlock server. */
async function guideApp(loginrocketUrl: string): Promise<{ url: string; server: Server }> {
  const app = express()
  app.use(cookieParser())
  app.use('/logout', fullLogout)
  app.use(arMiddleware({ authrocket: { loginrocketUrl }, logger: { warn: () => {} } }))
  app.get('/', (req, res) => {
    res.json({ user: req.authrocket!.currentUser?.name ?? null })
  })
  app.get('/private', requireLogin, (req, res) => {
    res.json({ user: req.authrocket!.currentUser!.name, email: req.authrocket!.currentUser!.email })
  })
  const server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

describe.each(DIALECTS)('@airlock/express against the real server on %s', (dialect) => {
  let lr: TestServer
  let app: { url: string; server: Server }

  beforeAll(async () => {
    lr = await startServer({ dialect })
    app = await guideApp(lr.url)
    await lr.settings(`login_urls=${app.url}`)
  })
  afterAll(async () => {
    app.server.closeAllConnections()
    await new Promise((resolve) => app.server.close(resolve))
    await lr.close()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  /** Signs up at LoginRocket from the app's protected page and lands back in the app, logged in. */
  async function signUpThroughApp(email: string) {
    const inApp = new Browser(app.url)
    const atLr = new Browser(lr.url)
    const toLogin = await inApp.get('/private')
    expect(toLogin.status).toBe(302)
    const loginUrl = new URL(toLogin.headers.get('location')!)
    expect(loginUrl.origin).toBe(lr.url)
    const redirectUri = loginUrl.searchParams.get('redirect_uri')!
    // The app's nonce travels from /login to /signup and into the token, which binds it to this browser.
    const carry = `?${new URLSearchParams({ redirect_uri: redirectUri, nonce: loginUrl.searchParams.get('nonce')! })}`
    await atLr.get(`/signup${carry}`)
    const back = await atLr.post(`/signup${carry}`, {
      first_name: 'Dave',
      last_name: 'Smith',
      email,
      password: 'correct horse battery',
    })
    expect(claimsOf(tokenFrom(back)).nonce).toBe(inApp.cookies.get('arNonce'))
    const withToken = await inApp.get(back.headers.get('location')!)
    expect(withToken.status).toBe(302)
    expect(withToken.headers.get('location')).toBe('/private')
    return { inApp, atLr }
  }

  it('a visitor signs up from a protected page and lands back on it, logged in, token out of the URL', async () => {
    const { inApp } = await signUpThroughApp('journey@example.com')
    const page = await inApp.get('/private')
    expect(page.status).toBe(200)
    expect(await readJson(page)).toEqual({ user: 'Dave Smith', email: 'journey@example.com' })
  })

  it('renewal brings profile changes into the app, and ends the app login once LoginRocket logs out', async () => {
    const { inApp, atLr } = await signUpThroughApp('renewal@example.com')
    const services = lr.booted.services
    const realm = (await services.realms.byId(lr.booted.realm.id))!
    const user = (await services.users.byEmail(realm, 'renewal@example.com'))!
    await services.users.updateNames(realm, user, 'David', 'Smith', { kind: 'user', userId: user.id, ip: null }, new Date())

    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 61 * 60_000)
    const renewed = await inApp.get('/private')
    expect(await readJson(renewed)).toEqual({ user: 'David Smith', email: 'renewal@example.com' })
    // A renewed token is never handed off by URL: it carries no nonce.
    expect(claimsOf(inApp.cookies.get('arToken')!).nonce).toBeUndefined()

    await atLr.get(`/logout?session=${claimsOf(inApp.cookies.get('arToken')!).sid}`)
    vi.setSystemTime(Date.now() + 61 * 60_000)
    const after = await inApp.get('/private')
    expect(after.status).toBe(302)
    expect(after.headers.get('location')).toContain(`${lr.url}/login?redirect_uri=`)
  })

  it('an app cookie whose token expired past the renewal grace is dropped, and the live LoginRocket session logs the browser back in through /login', async () => {
    const { inApp, atLr } = await signUpThroughApp('too-old@example.com')
    const before = inApp.cookies.get('arToken')!

    // Past the token's 60 minutes and the 60-minute grace that follows them; the LoginRocket session lives 30 days.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 121 * 60_000)
    const toLogin = await inApp.get('/private')
    expect(toLogin.status).toBe(302)
    expect(inApp.cookies.has('arToken')).toBe(false)
    const loginUrl = new URL(toLogin.headers.get('location')!)
    expect(loginUrl.origin + loginUrl.pathname).toBe(`${lr.url}/login`)

    // LoginRocket signs the browser straight back in, without a form.
    const back = await atLr.get(loginUrl.pathname + loginUrl.search)
    expect(back.status).toBe(303)
    const landed = await inApp.get(back.headers.get('location')!)
    expect(landed.headers.get('location')).toBe('/private')
    const page = await inApp.get('/private')
    expect(page.status).toBe(200)
    expect(await readJson(page)).toEqual({ user: 'Dave Smith', email: 'too-old@example.com' })
    expect(inApp.cookies.get('arToken')).not.toBe(before)
  })

  it("fullLogout ends both the app's and LoginRocket's session", async () => {
    const { inApp, atLr } = await signUpThroughApp('fulllogout@example.com')
    const toLr = await inApp.get('/logout')
    const logoutUrl = new URL(toLr.headers.get('location')!)
    expect(logoutUrl.origin + logoutUrl.pathname).toBe(`${lr.url}/logout`)
    const backToApp = await atLr.get(logoutUrl.pathname + logoutUrl.search)
    expect(backToApp.headers.get('location')).toBe(`${app.url}/`)
    expect((await inApp.get('/private')).status).toBe(302)
    const loginAgain = await atLr.get(`/login?redirect_uri=${encodeURIComponent(app.url)}`)
    expect(loginAgain.status).toBe(200)
  })

  /** Follows a redirect from LoginRocket to the app in `inApp`, and from the app to LoginRocket in `atLr`, until it settles. */
  async function travel(inApp: Browser, atLr: Browser, first: Response): Promise<{ response: Response; hops: string[] }> {
    const hops: string[] = []
    let response = first
    for (let i = 0; i < 6 && response.status >= 300 && response.status < 400; i++) {
      const next = new URL(response.headers.get('location')!, response.url)
      hops.push(next.origin === lr.url ? `lr ${next.pathname}` : `app ${next.pathname}`)
      response = next.origin === lr.url ? await atLr.get(next.href) : await inApp.get(next.href)
    }
    return { response, hops }
  }

  it('an invitation-style link with a token of no browser ends logged in as the right user after one trip through /login', async () => {
    const { atLr } = await signUpThroughApp('invited@example.com')
    // LoginRocket signs a token without nonce (a link made elsewhere: a mail, another app, an old bookmark).
    const unbound = await atLr.get(`/login?redirect_uri=${encodeURIComponent(`${app.url}/private`)}`)
    expect(claimsOf(tokenFrom(unbound)).nonce).toBeUndefined()
    const fresh = new Browser(app.url)
    const { response, hops } = await travel(fresh, atLr, unbound)
    expect(hops).toEqual(['app /private', 'lr /login', 'app /private', 'app /private'])
    expect(await readJson(response)).toEqual({ user: 'Dave Smith', email: 'invited@example.com' })
  })

  it("an attacker's token planted in a link neither logs the victim in nor replaces the victim's login", async () => {
    const attacker = await signUpThroughApp('attacker@example.com')
    const planted = tokenFrom(await attacker.atLr.get(`/login?redirect_uri=${encodeURIComponent(`${app.url}/private`)}`))
    const boundToAttacker = tokenFrom(await attacker.atLr.get(`/login?redirect_uri=${encodeURIComponent(`${app.url}/private`)}&nonce=${attacker.inApp.cookies.get('arNonce')}`))

    const victim = await signUpThroughApp('victim@example.com')
    for (const token of [planted, boundToAttacker]) {
      const { response } = await travel(victim.inApp, victim.atLr, await victim.inApp.get(`/private?token=${token}`))
      expect(await readJson(response)).toEqual({ user: 'Dave Smith', email: 'victim@example.com' })
    }
    // A browser logged in nowhere is asked to log in, never logged in as the attacker.
    const stranger = new Browser(app.url)
    const strangerAtLr = new Browser(lr.url)
    const { response } = await travel(stranger, strangerAtLr, await stranger.get(`/private?token=${planted}`))
    expect(response.status).toBe(200)
    expect(response.url).toMatch(`${lr.url}/login?`)
    expect(stranger.cookies.has('arToken')).toBe(false)
  })

  it("the profile's way back to the app carries the nonce, so the app takes the fresh token", async () => {
    const { inApp, atLr } = await signUpThroughApp('profile-back@example.com')
    const nonce = inApp.cookies.get('arNonce')!
    const profile = await atLr.get(`/profile?${new URLSearchParams({ redirect_uri: `${app.url}/private`, nonce })}`)
    const backTo = /<a href="([^"]+)">Back to the app<\/a>/.exec(await profile.text())![1]!.replace(/&amp;/g, '&')
    const back = await atLr.get(backTo)
    expect(claimsOf(tokenFrom(back)).nonce).toBe(nonce)
    const { hops } = await travel(inApp, atLr, back)
    expect(hops).toEqual(['app /private', 'app /private'])
  })

  it("the account pages carry the nonce too: choosing an account, and the account page's way back", async () => {
    const { inApp, atLr } = await signUpThroughApp('accounts-nonce@example.com')
    const nonce = inApp.cookies.get('arNonce')!
    const orgId = claimsOf(inApp.cookies.get('arToken')!).orgs[0].oid as string
    await atLr.get(`/accounts?${new URLSearchParams({ force: '1', redirect_uri: `${app.url}/private`, nonce })}`)
    expect(atLr.lastHtml).toContain(`name="nonce" value="${nonce}"`)
    const chosen = await atLr.post('/accounts/choose', { org_id: orgId, redirect_uri: `${app.url}/private`, nonce })
    expect(claimsOf(tokenFrom(chosen)).nonce).toBe(nonce)
    const page = await atLr.get(`/accounts/${orgId}?${new URLSearchParams({ redirect_uri: `${app.url}/private`, nonce })}`)
    const backTo = /<a href="([^"]+)">Back to the app<\/a>/.exec(await page.text())![1]!.replace(/&amp;/g, '&')
    expect(claimsOf(tokenFrom(await atLr.get(backTo))).nonce).toBe(nonce)
  })

  it('a nonce that is not 1-100 characters of [A-Za-z0-9_-] is ignored, never signed into a token', async () => {
    const { atLr } = await signUpThroughApp('bad-nonce@example.com')
    for (const nonce of ['a b', 'x'.repeat(101), '<script>', '']) {
      const back = await atLr.get(`/login?${new URLSearchParams({ redirect_uri: app.url, nonce })}`)
      expect(claimsOf(tokenFrom(back)).nonce).toBeUndefined()
    }
    const good = await atLr.get(`/login?${new URLSearchParams({ redirect_uri: app.url, nonce: 'Ab_-9' })}`)
    expect(claimsOf(tokenFrom(good)).nonce).toBe('Ab_-9')
  })
})
