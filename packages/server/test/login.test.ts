import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser, claimsOf, tokenFrom } from './support/browser.js'
import { DIALECTS } from './support/dialects.js'
import { startServer, type TestServer } from './support/server.js'

const APP = 'http://localhost:3000'

describe.each(DIALECTS)('signup, login and logout on %s', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startServer({ dialect, settings: [`login_urls=${APP}`] })
  })
  afterAll(() => server.close())

  async function signup(browser: Browser, email: string, password = 'correct horse battery') {
    await browser.get(`/signup?redirect_uri=${encodeURIComponent(`${APP}/welcome`)}`)
    return browser.post(`/signup?redirect_uri=${encodeURIComponent(`${APP}/welcome`)}`, {
      first_name: 'Dave',
      last_name: 'Smith',
      email,
      password,
    })
  }

  it('signup creates the user, starts a session and sends the browser to the app with a token', async () => {
    const browser = new Browser(server.url)
    const res = await signup(browser, 'Dave@Example.com')
    expect(res.status).toBe(303)
    const location = new URL(res.headers.get('location')!)
    expect(location.origin + location.pathname).toBe(`${APP}/welcome`)
    const claims = claimsOf(tokenFrom(res))
    expect(claims).toMatchObject({
      iss: server.url,
      rid: server.booted.realm.id,
      given_name: 'Dave',
      family_name: 'Smith',
      name: 'Dave Smith',
      email: 'Dave@Example.com',
      email_verified: false,
    })
    expect(claims.sub).toMatch(/^usr_[a-z2-7]{26}$/)
    expect(claims.sid).toMatch(/^kss_/)
    expect(claims.exp - claims.iat).toBe(3600)
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
  })

  it('the session cookie is HttpOnly and SameSite=Lax and holds a secret, not the session id', async () => {
    const browser = new Browser(server.url)
    const res = await signup(browser, 'cookie@example.com')
    const line = res.headers.getSetCookie().find((l) => l.startsWith('lr_session='))!
    expect(line).toMatch(/HttpOnly/)
    expect(line).toMatch(/SameSite=Lax/)
    const sid = claimsOf(tokenFrom(res)).sid
    expect(line).not.toContain(sid)
  })

  it('a browser already logged in is sent straight back with a fresh token (single sign-on)', async () => {
    const browser = new Browser(server.url)
    const first = claimsOf(tokenFrom(await signup(browser, 'sso@example.com')))
    const res = await browser.get(`/login?redirect_uri=${encodeURIComponent(`${APP}/other`)}`)
    expect(res.status).toBe(303)
    expect(claimsOf(tokenFrom(res))).toMatchObject({ sub: first.sub, sid: first.sid })
  })

  it('prompt=login shows the form even to a logged-in browser', async () => {
    const browser = new Browser(server.url)
    await signup(browser, 'prompt@example.com')
    const res = await browser.get(`/login?prompt=login&redirect_uri=${encodeURIComponent(APP)}`)
    expect(res.status).toBe(200)
    expect(browser.lastHtml).toContain('<label for="password">Password</label>')
  })

  it('logs in with email (any case) and password', async () => {
    await signup(new Browser(server.url), 'login@example.com')
    const browser = new Browser(server.url)
    await browser.get('/login')
    const res = await browser.post(`/login?redirect_uri=${encodeURIComponent(APP)}`, { email: 'LOGIN@example.com ', password: 'correct horse battery' })
    expect(res.status).toBe(303)
    expect(claimsOf(tokenFrom(res)).email).toBe('login@example.com')
  })

  it('wrong password and unknown email get the same status and the same page', async () => {
    await signup(new Browser(server.url), 'same@example.com')
    const answers = []
    for (const email of ['same@example.com', 'nobody@example.com']) {
      const browser = new Browser(server.url)
      await browser.get('/login')
      const res = await browser.post('/login', { email, password: 'wrong password!' })
      answers.push({ status: res.status, page: (await res.text()).replace(/value="[^"]*"/g, '') })
    }
    expect(answers[0]!.status).toBe(401)
    expect(answers[0]).toEqual(answers[1])
    expect(answers[0]!.page).toContain('don’t match an account')
  })

  it('keeps the typed email and shows each problem next to its field on a bad signup', async () => {
    const browser = new Browser(server.url)
    await browser.get('/signup')
    const res = await browser.post('/signup', { email: 'not-an-email', password: 'short', first_name: 'Ann' })
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain('value="not-an-email"')
    expect(html).toContain('value="Ann"')
    expect(html).toMatch(/id="email-error">Enter an email address like name@example.com/)
    expect(html).toMatch(/id="password-error">Use at least 8 characters/)
    expect(html).toContain('aria-describedby="password-hint password-error"')
  })

  it('refuses a second account with the same email, whatever its case or Unicode form', async () => {
    await signup(new Browser(server.url), 'twice@example.com')
    for (const email of ['TWICE@example.com', 'ｔｗｉｃｅ@example.com']) {
      const res = await signup(new Browser(server.url), email)
      expect(res.status).toBe(422)
      expect(await res.text()).toContain('An account with this email already exists')
    }
  })

  it('refuses invisible characters that would make two addresses or names look alike', async () => {
    for (const [email, name] of [['vic\u200btim@example.com', 'Ann'], ['victim\u202e@example.com', 'Ann'], ['ok@example.com', 'A\u200dnn']]) {
      const browser = new Browser(server.url)
      await browser.get('/signup')
      const res = await browser.post('/signup', { email: email!, first_name: name!, password: 'correct horse battery' })
      expect(res.status).toBe(422)
    }
  })

  it('logout ends the LoginRocket session: the next login asks for the password', async () => {
    const browser = new Browser(server.url)
    await signup(browser, 'logout@example.com')
    const ask = await browser.get(`/logout?redirect_uri=${encodeURIComponent(`${APP}/`)}`)
    expect(ask.status).toBe(200)
    const res = await browser.post('/logout', { redirect_uri: `${APP}/` })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`${APP}/`)
    const again = await browser.get(`/login?redirect_uri=${encodeURIComponent(APP)}`)
    expect(again.status).toBe(200)
  })

  it('logout with a foreign redirect_uri goes to the login page instead', async () => {
    const res = await new Browser(server.url).get(`/logout?redirect_uri=${encodeURIComponent('https://evil.example/')}`)
    expect(res.headers.get('location')).toBe('/login')
  })

  it('refuses forms without the CSRF token', async () => {
    const browser = new Browser(server.url)
    await browser.get('/login')
    const res = await browser.post('/login', { csrf: 'forged', email: 'a@example.com', password: 'whatever1' })
    expect(res.status).toBe(403)
    expect(await res.text()).toContain('This form has expired')
  })

  it('asks for a username when the realm requires one, unique in any case, and puts it in the token', async () => {
    await server.settings('username_field=required', 'name_field=hidden')
    try {
      const browser = new Browser(server.url)
      await browser.get('/signup')
      expect(browser.lastHtml).toContain('<label for="username">Username</label>')
      expect(browser.lastHtml).not.toContain('first_name')
      const missing = await browser.post('/signup', { email: 'user1@example.com', password: 'correct horse battery' })
      expect(await missing.text()).toContain('id="username-error">Choose a username.')
      const ok = await browser.post(`/signup?redirect_uri=${encodeURIComponent(APP)}`, { email: 'user1@example.com', password: 'correct horse battery', username: 'Dave_S' })
      expect(claimsOf(tokenFrom(ok)).preferred_username).toBe('Dave_S')
      const other = new Browser(server.url)
      await other.get('/signup')
      const taken = await other.post('/signup', { email: 'user2@example.com', password: 'correct horse battery', username: 'dave_s' })
      expect(await taken.text()).toContain('That username is taken.')
    } finally {
      await server.settings('username_field=hidden', 'name_field=optional')
    }
  })

  it('signup can be closed', async () => {
    await server.settings('signup=closed')
    try {
      const browser = new Browser(server.url)
      expect((await browser.get('/signup')).status).toBe(403)
      expect(browser.lastHtml).not.toContain('Create an account')
    } finally {
      await server.settings('signup=open')
    }
  })
})
