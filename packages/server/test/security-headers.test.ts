import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { boot, type Booted } from '../src/bootstrap.js'
import { loadConfig } from '../src/config/load.js'
import { createApp } from '../src/app.js'
import { requestHost } from '../src/http/realm.js'
import { applyAssignments } from '../src/domain/realm.js'
import { Browser, tokenFrom } from './support/browser.js'
import { DIALECTS } from './support/dialects.js'
import { startServer, type TestServer } from './support/server.js'

const APP = 'http://app.example.com:3000/app'
const PASSWORD = 'correct horse battery'

/** The policy every hosted answer carries: nothing runs, nothing frames us, forms post only to us and the apps. */
function expectStrictHeaders(res: Response, what: string) {
  const csp = res.headers.get('content-security-policy') ?? ''
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]))
  expect(directives['default-src'], `${what}: default-src`).toEqual(["'none'"])
  expect(directives['frame-ancestors'], `${what}: frame-ancestors`).toEqual(["'none'"])
  expect(directives['base-uri'], `${what}: base-uri`).toEqual(["'none'"])
  // No script source at all (so default-src 'none' applies), and nothing inline or evaluated anywhere.
  expect(directives['script-src'], `${what}: script-src`).toBeUndefined()
  expect(csp, what).not.toMatch(/unsafe-inline|unsafe-eval|unsafe-hashes|\*/)
  expect(res.headers.get('x-content-type-options'), what).toBe('nosniff')
  expect(res.headers.get('x-frame-options'), what).toBe('DENY')
}

/** Pages: the browser sends its real Origin with their forms (no-referrer would make it `null`), and no Referer elsewhere. */
function expectPage(res: Response, what: string) {
  expectStrictHeaders(res, what)
  expect(res.headers.get('referrer-policy'), what).toBe('same-origin')
  expect(res.headers.get('cache-control'), what).toBe('no-store')
  expect(res.headers.get('strict-transport-security'), `${what}: no HSTS over http`).toBeNull()
}

describe('requestHost', () => {
  const headers = (h: Record<string, string>) => (name: string) => h[name]

  it('takes Host, lower-cased, with its port', () => {
    expect(requestHost(headers({ host: 'Login.Example.COM:8443' }), false)).toBe('login.example.com:8443')
    expect(requestHost(headers({ host: '[::1]:4000' }), false)).toBe('[::1]:4000')
  })

  it('ignores X-Forwarded-Host unless the proxy is trusted, then takes its first entry', () => {
    const h = headers({ host: 'internal:4000', 'x-forwarded-host': 'login.example.com, other.example' })
    expect(requestHost(h, false)).toBe('internal:4000')
    expect(requestHost(h, true)).toBe('login.example.com')
  })

  it('refuses anything that is not a bare host[:port]', () => {
    for (const host of ['evil.example/path', 'user@login.example.com', 'login.example.com:99999999', 'a b', 'login.example.com\r\nX: y', '', 'exa_mple.com', 'http://login.example.com']) {
      expect(requestHost(headers({ host }), false), host).toBeNull()
    }
    expect(requestHost(headers({}), false)).toBeNull()
  })
})

describe.each(DIALECTS)('security headers on %s', (dialect) => {
  let server: TestServer
  let browser: Browser

  beforeAll(async () => {
    server = await startServer({ dialect, settings: [`login_urls=${APP}`] })
    browser = new Browser(server.url)
  })
  afterAll(() => server.close())

  it('every hosted page: strict CSP, no framing, no sniffing, referrer only to itself, no caching', async () => {
    for (const path of ['/login', '/signup', '/forgot', '/login?redirect_uri=javascript:alert(1)', '/no-such-page', '/reset?token=nope']) {
      const res = await browser.get(path)
      expect(res.headers.get('content-type'), path).toContain('text/html')
      expectPage(res, path)
    }
  })

  it('form-action allows this origin and the realm’s apps, nothing else', async () => {
    const csp = (await browser.get('/login')).headers.get('content-security-policy')!
    expect(csp).toContain(`form-action 'self' http://app.example.com:3000;`)
  })

  it('answers that carry a token: no referrer, no caching', async () => {
    await browser.get(`/signup?redirect_uri=${encodeURIComponent(APP)}`)
    const signup = await browser.post(`/signup?redirect_uri=${encodeURIComponent(APP)}`, { email: 'headers@example.com', password: PASSWORD })
    const sso = await browser.get(`/login?redirect_uri=${encodeURIComponent(APP)}`)
    const other = new Browser(server.url)
    await other.get('/login')
    const login = await other.post(`/login?redirect_uri=${encodeURIComponent(APP)}`, { email: 'headers@example.com', password: PASSWORD })
    for (const [what, res] of [['signup', signup], ['single sign-on', sso], ['login', login]] as const) {
      expect(res.status, what).toBe(303)
      expectStrictHeaders(res, what)
      expect(res.headers.get('cache-control'), what).toBe('no-store')
      expect(res.headers.get('referrer-policy'), what).toBe('no-referrer')
    }
    const renew = await fetch(`${server.url}/connect/renew`, { method: 'POST', headers: { authorization: `Bearer ${tokenFrom(login)}` } })
    expect(renew.status).toBe(200)
    expectStrictHeaders(renew, 'renew')
    expect(renew.headers.get('cache-control')).toBe('no-store')
    expect(renew.headers.get('referrer-policy')).toBe('no-referrer')
  })

  it('errors raised before the realm is known carry the headers too', async () => {
    const unknownHost = await new Promise<Response>((resolve, reject) => {
      const req = request(`${server.url}/login`, { headers: { host: 'unknown.example.test' } }, (res) => {
        res.resume()
        const headers = new Headers()
        for (const [name, value] of Object.entries(res.headers)) for (const v of [value ?? []].flat()) headers.append(name, v)
        resolve(new Response(null, { status: res.statusCode!, headers }))
      })
      req.on('error', reject)
      req.end()
    })
    expect(unknownHost.status).toBe(404)
    expectPage(unknownHost, 'unknown host')
    const tooLarge = await fetch(`${server.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `email=${'a'.repeat(3 * 1024 * 1024)}`,
    })
    expect(tooLarge.status).toBe(413)
    expectPage(tooLarge, 'body over the limit')
  })

  it('static assets are cacheable but not sniffable', async () => {
    const css = await fetch(`${server.url}/assets/airlock.css`)
    expect(css.headers.get('content-type')).toContain('text/css')
    expect(css.headers.get('x-content-type-options')).toBe('nosniff')
    expect(css.headers.get('cache-control')).toContain('public')
  })
})

describe('over https', () => {
  let booted: Booted
  let dataDir: string
  let app: ReturnType<typeof createApp>
  const HOST = 'login.example.test'

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'airlock-https-'))
    const config = loadConfig({ data: dataDir, publicUrl: `https://${HOST}`, env: { LOG_LEVEL: 'silent' } })
    booted = await boot(config, pino({ level: 'silent' }))
    const { services } = booted
    await services.realms.updateSettings(booted.realm.id, applyAssignments(booted.realm.settings, [`login_urls=${APP}`]), services.clock())
    app = createApp(services, { trustProxy: false, csrfKey: booted.csrfKey })
  })
  afterAll(async () => {
    await booted.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers: { host: HOST, ...headers } })

  it('sends HSTS when the public URL is https, on pages, errors, assets and the health check', async () => {
    for (const path of ['/login', '/no-such-page', '/assets/airlock.css', '/favicon.ico', '/healthz']) {
      const res = await get(path)
      expect(res.headers.get('strict-transport-security'), path).toMatch(/^max-age=\d{8,}/)
      expectStrictHeaders(res, path)
    }
  })

  it('pins its cookies to the origin: __Host- names, Secure', async () => {
    const res = await get('/login')
    const csrf = res.headers.getSetCookie().find((line) => line.startsWith('__Host-lr_csrf='))
    expect(csrf).toMatch(/; Secure/)
    expect(csrf).toMatch(/; Path=\//)
    expect(csrf).not.toMatch(/Domain=/i)
  })

  it('sends no HSTS for an http public URL, whatever the request claims', async () => {
    const server = await startServer({ dialect: 'sqlite', trustProxy: true })
    try {
      const res = await fetch(`${server.url}/login`, { headers: { 'x-forwarded-proto': 'https' } })
      expect(res.headers.get('strict-transport-security')).toBeNull()
    } finally {
      await server.close()
    }
  })
})
