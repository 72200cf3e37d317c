import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { importSPKI, jwtVerify, decodeProtectedHeader } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { arMiddleware, cookieParser, requireLogin } from '@airlock/express'
import { Browser, claimsOf, tokenFrom } from './support/browser.js'
import { DIALECTS } from './support/dialects.js'
import { readJson } from './support/json.js'
import { startServer, type TestServer } from './support/server.js'

const AUTHROCKET = 'https://authrocket.com'
const PASSWORD = 'correct horse battery'

/**
 * An app on AuthRocket's own middleware, as far as verifying goes. @authrocket/authrocket-middleware is not on this
 * npm registry, so this follows AUTHROCKET-API.md §3 to the letter: the key by `kid` from the JWKS's `x5c` (a base64
 * SubjectPublicKeyInfo), RS256, `iss` exactly https://authrocket.com, 5 seconds of leeway. Null when it refuses.
 */
async function authRocketFromToken(loginrocketUrl: string, token: string): Promise<Record<string, unknown> | null> {
  const { keys } = (await (await fetch(`${loginrocketUrl}/connect/jwks`)).json()) as { keys: { kid: string; x5c: string[] }[] }
  const jwk = keys.find((k) => k.kid === decodeProtectedHeader(token).kid)
  if (!jwk) return null
  const pem = `-----BEGIN PUBLIC KEY-----\n${jwk.x5c[0]!.match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----`
  try {
    const { payload } = await jwtVerify(token, await importSPKI(pem, 'RS256'), { algorithms: ['RS256'], issuer: AUTHROCKET, clockTolerance: 5 })
    return payload
  } catch {
    return null
  }
}

/** An app on @airlock/express with nothing but its LoginRocket URL: the issuer comes from the realm. */
async function airlockApp(loginrocketUrl: string, warnings: string[]): Promise<{ url: string; server: Server }> {
  const app = express()
  app.use(cookieParser())
  app.use(arMiddleware({ authrocket: { loginrocketUrl }, logger: { warn: (m) => warnings.push(m) } }))
  app.get('/private', requireLogin, (req, res) => {
    res.json({ email: req.authrocket!.currentUser!.email, orgs: req.authrocket!.currentUser!.memberships?.length ?? 0 })
  })
  const server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

describe.each(DIALECTS)("a realm switched to AuthRocket's issuer and back, on %s", (dialect) => {
  let lr: TestServer
  let app: { url: string; server: Server }
  const warnings: string[] = []

  beforeAll(async () => {
    lr = await startServer({ dialect })
    app = await airlockApp(lr.url, warnings)
    await lr.settings(`login_urls=${app.url}`, 'email_verification=none')
  })
  afterAll(async () => {
    app.server.closeAllConnections()
    await new Promise((resolve) => app.server.close(resolve))
    await lr.close()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  /** Moves both clocks (the app's and LoginRocket's, one process) ahead. */
  function later(ms: number) {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + ms)
  }

  /** From the app's protected page through LoginRocket's form (signup, or login when `signedUp`) and back, logged in. */
  async function logIn(email: string, signedUp: boolean) {
    const inApp = new Browser(app.url)
    const atLr = new Browser(lr.url)
    const loginUrl = new URL((await inApp.get('/private')).headers.get('location')!)
    const path = signedUp ? '/login' : '/signup'
    const query = `?${new URLSearchParams({ redirect_uri: loginUrl.searchParams.get('redirect_uri')!, nonce: loginUrl.searchParams.get('nonce')! })}`
    await atLr.get(path + query)
    const back = await atLr.post(path + query, { email, password: PASSWORD })
    const token = tokenFrom(back)
    const landed = await inApp.get(back.headers.get('location')!)
    expect(landed.headers.get('location')).toBe('/private')
    return { inApp, atLr, token }
  }

  it('keeps an @airlock/express app logged in (login, a protected page, renewal) while an AuthRocket-side app accepts the same tokens, and both ways work again after switching back', async () => {
    // Before: the realm's default issuer, its LoginRocket URL.
    await logIn('before@example.com', false)

    await lr.settings(`issuer=${AUTHROCKET}`)
    later(6_000) // past the app's cooldown between two looks at the realm's discovery document
    const { inApp, atLr, token } = await logIn('before@example.com', true)
    expect(claimsOf(token).iss).toBe(AUTHROCKET)
    const page = await inApp.get('/private')
    expect(page.status).toBe(200)
    expect(await readJson(page)).toEqual({ email: 'before@example.com', orgs: 1 })
    // The same realm's token, verified as AuthRocket's middleware does.
    expect(await authRocketFromToken(lr.url, token)).toMatchObject({ sub: claimsOf(token).sub, iss: AUTHROCKET })

    later(61 * 60_000)
    const renewed = await inApp.get('/private')
    expect(renewed.status).toBe(200)
    const renewedToken = inApp.cookies.get('arToken')!
    expect(renewedToken).not.toBe(token)
    expect(await authRocketFromToken(lr.url, renewedToken)).not.toBeNull()

    // Back to the default issuer: no restart of the app.
    await lr.settings('issuer=')
    later(6_000)
    const fresh = await logIn('before@example.com', true)
    expect(claimsOf(fresh.token).iss).toBe(lr.url)
    expect((await fresh.inApp.get('/private')).status).toBe(200)
    // AuthRocket's middleware insists on its own issuer.
    expect(await authRocketFromToken(lr.url, fresh.token)).toBeNull()

    // The browser logged in under AuthRocket's issuer: its token no longer renews, and its live LoginRocket
    // session signs it back in through /login, without a form and without an error page.
    later(61 * 60_000)
    const toLogin = await inApp.get('/private')
    expect(toLogin.status).toBe(302)
    const again = await atLr.get(toLogin.headers.get('location')!)
    expect(claimsOf(tokenFrom(again)).iss).toBe(lr.url)
    expect((await inApp.get(again.headers.get('location')!)).headers.get('location')).toBe('/private')
    expect((await inApp.get('/private')).status).toBe(200)
    expect(warnings).toEqual([])
  })
})
