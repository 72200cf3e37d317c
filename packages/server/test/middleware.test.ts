import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { arMiddleware, cookieParser, fullLogout, requireLogin } from '@airlock/express'
import { Browser } from './support/browser.js'
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
    await atLr.get(`/signup?redirect_uri=${encodeURIComponent(redirectUri)}`)
    const back = await atLr.post(`/signup?redirect_uri=${encodeURIComponent(redirectUri)}`, {
      first_name: 'Dave',
      last_name: 'Smith',
      email,
      password: 'correct horse battery',
    })
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
    await services.users.updateNames(realm, user, 'David', 'Smith', new Date())

    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 61 * 60_000)
    const renewed = await inApp.get('/private')
    expect(await readJson(renewed)).toEqual({ user: 'David Smith', email: 'renewal@example.com' })

    await atLr.get('/logout')
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
})
