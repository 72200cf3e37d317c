// The first address `airlock start` prints (the realm host's root) and the icon browsers ask every host for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRealm } from '../src/services/realms.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { startServer, type TestServer } from './support/server.js'

const WIDGETS = 'login.widgets.test'

/** The links of the page's "Your account" nav, as [text, href]. */
const accountLinks = (html: string) =>
  [...(/<nav class="links" aria-label="Your account">([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? '').matchAll(/<a href="([^"]+)">([^<]+)<\/a>/g)].map((m) => [m[2], m[1]])

describe.each(DIALECTS)('the root page and the icon on %s', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startServer({ dialect, trustProxy: true })
    await createRealm(server.booted.services, 'Widgets', `http://${WIDGETS}`, { kind: 'cli' })
  })
  afterAll(() => server.close())

  it('on the server’s own URL: the default realm’s name, log in, sign up and the admin portal, as a hosted page', async () => {
    const client = new Client(server)
    const res = await client.get('/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/html')
    const html = client.browser.lastHtml
    expect(html).toContain('<title>Welcome · Demo</title>')
    expect(html).toContain('<span class="realm-name">Demo</span>')
    expect(accountLinks(html)).toEqual([
      ['Log in', '/login'],
      ['Create an account', '/signup'],
      ['Admin portal', '/admin'],
    ])
    // The hosted pages' policy: no script, nothing inline, no framing.
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'none'")
    expect(csp).not.toContain('script-src')
    expect(csp).not.toMatch(/unsafe-inline/)
    expect(html).not.toMatch(/<script|style=/)
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('cache-control')).toBe('no-store')
    // Its links lead to real pages.
    for (const [, href] of accountLinks(html)) expect((await new Client(server).get(href!)).status, href).toBeLessThan(400)
  })

  it('offers signing up only where the login page does: not when signup is closed or by invitation', async () => {
    for (const signup of ['closed', 'invitation']) {
      await server.settings(`signup=${signup}`)
      const client = new Client(server)
      await client.get('/')
      expect(accountLinks(client.browser.lastHtml).map(([text]) => text), signup).toEqual(['Log in', 'Admin portal'])
      await client.get('/login')
      expect(client.browser.lastHtml, signup).not.toContain('href="/signup')
    }
    await server.settings('signup=open')
  })

  it('on another realm’s host: that realm, without the admin portal or anything of the server’s own URL', async () => {
    const client = new Client(server)
    const res = await client.get('/', { 'x-forwarded-host': WIDGETS })
    expect(res.status).toBe(200)
    const html = client.browser.lastHtml
    expect(html).toContain('<title>Welcome · Widgets</title>')
    expect(accountLinks(html)).toEqual([
      ['Log in', '/login'],
      ['Create an account', '/signup'],
    ])
    expect(html).not.toContain('Demo')
    expect(html).not.toContain(new URL(server.url).host)
    expect(html).not.toContain('/admin')
    expect(html).not.toMatch(/rl_/)
  })

  it('on a host that is no realm’s: not found, as every other page there', async () => {
    const client = new Client(server)
    const res = await client.get('/', { 'x-forwarded-host': 'unknown.test' })
    expect(res.status).toBe(404)
    expect(await res.text()).toContain('There is no login page at this address.')
  })

  it('serves the icon at /favicon.ico and /assets/favicon.svg on any host, cached like the stylesheet', async () => {
    const css = await new Client(server).get('/assets/airlock.css')
    for (const host of [new URL(server.url).host, WIDGETS, 'unknown.test']) {
      for (const path of ['/favicon.ico', '/assets/favicon.svg']) {
        const res = await new Client(server).get(path, { 'x-forwarded-host': host })
        expect(res.status, `${host}${path}`).toBe(200)
        expect(res.headers.get('content-type'), `${host}${path}`).toBe('image/svg+xml')
        expect(res.headers.get('cache-control'), `${host}${path}`).toBe(css.headers.get('cache-control'))
        expect(res.headers.get('x-content-type-options')).toBe('nosniff')
        const svg = await res.text()
        expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
        // An image only: nothing in it runs.
        expect(svg).not.toMatch(/<script|\bon\w+=|href=/i)
      }
    }
  })

  it('links the icon from the hosted and the admin portal’s pages', async () => {
    for (const path of ['/', '/login', '/signup', '/forgot', '/admin/login']) {
      const client = new Client(server)
      await client.get(path)
      expect(client.browser.lastHtml, path).toContain('<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml"/>')
    }
  })
})
