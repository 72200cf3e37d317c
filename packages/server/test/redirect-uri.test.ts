import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkRedirectUri, checkReturnTo } from '../src/http/redirect-uri.js'
import { validateSettings, type Realm } from '../src/domain/realm.js'
import { claimsOf, tokenFrom } from './support/browser.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { startServer, type TestServer } from './support/server.js'

const LOGIN_URL = 'http://app.example.com:3000/app'
const PASSWORD = 'correct horse battery'

/** Return addresses the realm accepts, with where the browser is then sent (before `?token=` is added). */
const ACCEPTED: [string, string][] = [
  [LOGIN_URL, LOGIN_URL],
  [`${LOGIN_URL}/`, `${LOGIN_URL}/`],
  [`${LOGIN_URL}/deeper/path`, `${LOGIN_URL}/deeper/path`],
  [`${LOGIN_URL}?next=%2Fhome&tab=2`, `${LOGIN_URL}?next=%2Fhome&tab=2`],
  [`${LOGIN_URL}/deeper?q=a#section`, `${LOGIN_URL}/deeper?q=a#section`],
  ['HTTP://APP.EXAMPLE.COM:3000/app/Case', `${LOGIN_URL}/Case`],
  [`${LOGIN_URL}/./x/../y`, `${LOGIN_URL}/y`],
  ['http://app.example.com:03000/app', LOGIN_URL],
  // Still under /app after the parser resolves the dots, so the token stays where it belongs.
  [`${LOGIN_URL}/../app/again`, `${LOGIN_URL}/again`],
  // Encoded line breaks stay encoded: no header is split.
  [`${LOGIN_URL}/%0d%0aSet-Cookie:%20x=1`, `${LOGIN_URL}/%0d%0aSet-Cookie:%20x=1`],
]

/** Return addresses the realm must refuse: an error page, never a redirect, never a token. */
const REFUSED_URIS: string[] = [
  '//evil.example',
  '//evil.example/app',
  '///evil.example/app',
  'http://app.example.com.evil.example:3000/app',
  'http://app.example.com:3000@evil.example/app',
  'http://app.example.com:3000\\@evil.example/app',
  'http://evil.example/\\app',
  'http://evil.example/?http://app.example.com:3000/app',
  'http://evil.example#http://app.example.com:3000/app',
  '/\\evil.example',
  '\\\\evil.example/app',
  '/app',
  'app',
  'http://app.example.com:3001/app',
  'http://app.example.com/app',
  'http://app.example.com:80/app',
  'https://app.example.com:3000/app',
  'ftp://app.example.com:3000/app',
  'javascript:alert(1)',
  'JavaScript://app.example.com:3000/app%0aalert(1)',
  'data:text/html,<script>alert(1)</script>',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'http://app.example.com:3000/application',
  'http://app.example.com:3000/app.evil',
  'http://app.example.com:3000/app@evil.example',
  'http://app.example.com:3000/app/../admin',
  'http://app.example.com:3000/app/%2e%2e/admin',
  'http://app.example.com:3000/app/.%2E/admin',
  'http://app.example.com:3000/app\\..\\admin',
  'http://app.example.com:3000/app/..%2fadmin',
  'http://app.example.com:3000/app/%2e%2e%2fadmin',
  'http://app.example.com:3000/app%2f..%2fadmin',
  'http://app.example.com:3000/app/..%5cadmin',
  'http://user@app.example.com:3000/app',
  'http://user:pass@app.example.com:3000/app',
  'http://:@app.example.com:3000/app',
  'http://app.example.com:3000/app\r\nSet-Cookie: x=1',
  'http://app.example.com:3000/app\nLocation: http://evil.example/',
  'http://app.example.com:3000/a\tpp',
  'http://app.example.com:3000/app\u0000',
  'http://аpp.example.com:3000/app', // Cyrillic а
  'http://app.example.com.:3000/app',
  'http://127.0.0.1:3000/app',
  `${LOGIN_URL}/${'a'.repeat(5000)}`,
]
/** [name in the test title, the URI] */
const REFUSED = REFUSED_URIS.map((uri) => [uri.length > 100 ? `${uri.slice(0, 40)}… (${uri.length} characters)` : JSON.stringify(uri), uri] as const)

const q = (uri: string) => `redirect_uri=${encodeURIComponent(uri)}`

/** Nothing in the answer carries a token or sends the browser anywhere. */
async function expectRefused(res: Response) {
  expect(res.status).toBe(400)
  expect(res.headers.get('location')).toBeNull()
  const body = await res.text()
  // The page for a refused return address; a NUL byte in a form field is refused even before that.
  expect(body).toMatch(/This link can’t be used|characters that are not allowed/)
  expect(body).not.toMatch(/eyJ[\w-]+\.[\w-]+\./)
  expect(body).not.toContain('token=')
  expect(body).not.toContain('evil.example')
  for (const [name, value] of res.headers) {
    expect(value, name).not.toMatch(/eyJ[\w-]+\.[\w-]+\./)
  }
  expect(res.headers.getSetCookie().some((line) => line.startsWith('lr_session='))).toBe(false)
}

/** The redirect goes to exactly `target` plus the token. */
function expectSentTo(res: Response, target: string) {
  expect(res.status).toBe(303)
  const location = res.headers.get('location')!
  expect(location).not.toMatch(/[\r\n]/)
  const url = new URL(location)
  const token = url.searchParams.get('token')
  expect(token).toMatch(/^eyJ/)
  url.searchParams.delete('token')
  expect(url.href.replace(/\?(?=#|$)/, '')).toBe(new URL(target).href)
  return claimsOf(tokenFrom(res))
}

describe('checkRedirectUri', () => {
  const realm = { id: 'rl_x', settings: validateSettings({ name: 'X', login_urls: [LOGIN_URL, 'https://other.example/'] }) } as unknown as Realm

  it.each(ACCEPTED)('accepts %j', (raw, expected) => {
    expect(checkRedirectUri(realm, raw)).toBe(new URL(expected).href)
  })

  it.each(REFUSED)('refuses %s', (_, raw) => {
    expect(checkRedirectUri(realm, raw)).toBeNull()
  })

  it('uses the first Login URL when none is given, and any path under a Login URL at the root', () => {
    expect(checkRedirectUri(realm, undefined)).toBe(LOGIN_URL)
    expect(checkRedirectUri(realm, '')).toBe(LOGIN_URL)
    expect(checkRedirectUri(realm, 'https://other.example/anything?x=1')).toBe('https://other.example/anything?x=1')
    expect(checkRedirectUri(realm, 'http://other.example/anything')).toBeNull()
  })

  it('return_to stays on LoginRocket', () => {
    expect(checkReturnTo('/profile?x=1')).toBe('/profile?x=1')
    for (const raw of ['//evil.example', '/\\evil.example', 'http://evil.example/', '/\u007fx', '/a\r\nb', 'profile', '']) {
      expect(checkReturnTo(raw), raw).toBeNull()
    }
  })
})

describe.each(DIALECTS)('redirect_uri over HTTP on %s', (dialect) => {
  let server: TestServer
  let loggedIn: Client
  let userId: string

  beforeAll(async () => {
    server = await startServer({ dialect, trustProxy: true, settings: [`login_urls=${LOGIN_URL}`] })
    loggedIn = new Client(server)
    const res = await loggedIn.submit(`/signup?${q(LOGIN_URL)}`, { email: 'sso@example.com', password: PASSWORD })
    userId = expectSentTo(res, LOGIN_URL).sub
  })
  afterAll(() => server.close())

  describe('GET /login with a live LoginRocket session (single sign-on)', () => {
    it.each(ACCEPTED)('sends %j back with a token', async (raw, target) => {
      expect(expectSentTo(await loggedIn.get(`/login?${q(raw)}`), target).sub).toBe(userId)
    })
    it.each(REFUSED)('refuses %s', async (_, raw) => {
      await expectRefused(await loggedIn.get(`/login?${q(raw)}`))
    })
  })

  describe('POST /login with the right password', () => {
    it.each(ACCEPTED)('sends %j back with a token', async (raw, target) => {
      const res = await new Client(server).submit(`/login?${q(raw)}`, { email: 'sso@example.com', password: PASSWORD })
      expect(expectSentTo(res, target).sub).toBe(userId)
    })
    it.each(REFUSED)('refuses %s, before checking the password', async (_, raw) => {
      const client = new Client(server)
      await client.get('/login')
      await expectRefused(await client.post(`/login?${q(raw)}`, { email: 'sso@example.com', password: PASSWORD }))
      // In the form rather than the query: the same.
      await expectRefused(await client.post('/login', { email: 'sso@example.com', password: PASSWORD, redirect_uri: raw }))
      // A valid query does not launder a bad form field.
      await expectRefused(await client.post(`/login?${q(LOGIN_URL)}`, { email: 'sso@example.com', password: PASSWORD, redirect_uri: raw }))
    })
  })

  describe('POST /signup', () => {
    it.each(ACCEPTED)('sends %j back with a token', async (raw, target) => {
      const email = `ok-${Math.random().toString(36).slice(2)}@example.com`
      const res = await new Client(server).submit(`/signup?${q(raw)}`, { email, password: PASSWORD })
      expect(expectSentTo(res, target).email).toBe(email)
    })
    it.each(REFUSED)('refuses %s and creates no account', async (_, raw) => {
      const email = `refused-${Math.random().toString(36).slice(2)}@example.com`
      const client = new Client(server)
      await expectRefused(await client.get(`/signup?${q(raw)}`))
      await client.get('/signup')
      await expectRefused(await client.post(`/signup?${q(raw)}`, { email, password: PASSWORD }))
      await expectRefused(await client.post('/signup', { email, password: PASSWORD, redirect_uri: raw }))
      expect(await server.booted.services.users.byEmail(server.booted.realm, email)).toBeNull()
    })
  })

  describe('GET /logout', () => {
    it.each(ACCEPTED)('ends the session and goes to %j', async (raw, target) => {
      const client = new Client(server)
      const login = await client.submit(`/login?${q(LOGIN_URL)}`, { email: 'sso@example.com', password: PASSWORD })
      const res = await client.get(`/logout?${q(raw)}&session=${claimsOf(tokenFrom(login)).sid}`)
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe(new URL(target).href)
      expect((await client.get(`/login?${q(LOGIN_URL)}`)).status).toBe(200)
    })
    it.each(REFUSED)('ends the session but never goes to %s: to the login page instead', async (_, raw) => {
      const client = new Client(server)
      const login = await client.submit(`/login?${q(LOGIN_URL)}`, { email: 'sso@example.com', password: PASSWORD })
      const res = await client.get(`/logout?${q(raw)}&session=${claimsOf(tokenFrom(login)).sid}`)
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe('/login')
      expect((await client.get(`/login?${q(LOGIN_URL)}`)).status).toBe(200)
    })
    it('the confirmation never carries a refused redirect_uri, and its POST never goes to one', async () => {
      const client = new Client(server)
      await client.submit(`/login?${q(LOGIN_URL)}`, { email: 'sso@example.com', password: PASSWORD })
      for (const raw of REFUSED_URIS) {
        expect((await client.get(`/logout?${q(raw)}`)).status).toBe(200)
        expect(client.browser.lastHtml, raw).not.toContain('name="redirect_uri"')
      }
      const res = await client.post('/logout', { redirect_uri: REFUSED_URIS[0]! })
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe('/login')
      expect((await client.get(`/login?${q(LOGIN_URL)}`)).status).toBe(200)
    })
  })
})
