import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Browser, claimsOf, tokenFrom } from './support/browser.js'
import { DIALECTS } from './support/dialects.js'
import { MailCatcher } from './support/mail-catcher.js'
import { startServer, type TestServer } from './support/server.js'

const APP = 'http://localhost:3000'
const PASSWORD = 'correct horse battery'

describe.each(DIALECTS)('the profile page on %s', (dialect) => {
  let server: TestServer
  let smtp: MailCatcher

  beforeAll(async () => {
    smtp = await MailCatcher.start()
    server = await startServer({ dialect, settings: [`login_urls=${APP}`], env: { AIRLOCK_SMTP_URL: smtp.url } })
  })
  afterAll(async () => {
    await server?.close()
    await smtp?.close()
  })
  beforeEach(() => {
    smtp.mails.length = 0
  })

  const profileUrl = (redirectUri?: string) => (redirectUri ? `/profile?redirect_uri=${encodeURIComponent(redirectUri)}` : '/profile')

  /** A new user, logged in in `browser`; the response carries the app's token. */
  async function signup(browser: Browser, email: string, names: { first_name?: string; last_name?: string } = { first_name: 'Dave', last_name: 'Smith' }) {
    await browser.get(`/signup?redirect_uri=${encodeURIComponent(APP)}`)
    const res = await browser.post(`/signup?redirect_uri=${encodeURIComponent(APP)}`, { ...names, email, password: PASSWORD })
    expect(res.status).toBe(303)
    return res
  }

  async function login(browser: Browser, email: string, password = PASSWORD) {
    await browser.get('/login')
    return browser.post(`/login?redirect_uri=${encodeURIComponent(APP)}`, { email, password })
  }

  /** The SSO answer a logged-in browser gets from /login: a fresh token for the app. */
  async function ssoClaims(browser: Browser) {
    const res = await browser.get(`/login?redirect_uri=${encodeURIComponent(APP)}`)
    expect(res.status).toBe(303)
    return claimsOf(tokenFrom(res))
  }

  /**
   * The mails of email changes. Other mails (signup's own verification link, sent in the background) may
   * arrive at any moment, so tests look only at these.
   */
  const changeMails = () => smtp.mails.filter((m) => /new email address|change of email address/.test(m.subject))

  function renew(token: string) {
    return fetch(`${server.url}/connect/renew`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
  }

  it('sends a logged-out browser to log in, then back to the profile with its redirect_uri', async () => {
    await signup(new Browser(server.url), 'roundtrip@example.com')
    const browser = new Browser(server.url)
    const start = await browser.get(profileUrl(`${APP}/settings`))
    expect(start.status).toBe(303)
    const toLogin = start.headers.get('location')!
    expect(new URL(toLogin, server.url).pathname).toBe('/login')
    expect(new URL(toLogin, server.url).searchParams.get('return_to')).toBe(`/profile?redirect_uri=${encodeURIComponent(`${APP}/settings`)}`)

    const loginPage = await browser.follow(start)
    expect(loginPage.status).toBe(200)
    const action = /<form method="post" action="([^"]+)"/.exec(browser.lastHtml)![1]!.replace(/&amp;/g, '&')
    const loggedIn = await browser.post(action, { email: 'roundtrip@example.com', password: PASSWORD })
    expect(loggedIn.status).toBe(303)
    expect(loggedIn.headers.get('location')).toBe(`/profile?redirect_uri=${encodeURIComponent(`${APP}/settings`)}`)

    const profile = await browser.follow(loggedIn)
    expect(profile.status).toBe(200)
    expect(profile.headers.get('cache-control')).toBe('no-store')
    expect(browser.lastHtml).toContain('<h1>Your profile</h1>')
    expect(browser.lastHtml).toContain(`<a href="/login?redirect_uri=${encodeURIComponent(`${APP}/settings`)}">Back to the app</a>`)
  })

  it('without a Login URL, logging in lands on the profile page', async () => {
    await server.settings('login_urls=')
    try {
      const browser = new Browser(server.url)
      await browser.get('/signup')
      const res = await browser.post('/signup', { email: 'nourl@example.com', password: PASSWORD })
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe('/profile')
      expect((await browser.follow(res)).status).toBe(200)
      expect(browser.lastHtml).toContain('nourl@example.com')
      expect(browser.lastHtml).not.toContain('Back to the app')
    } finally {
      await server.settings(`login_urls=${APP}`)
    }
  })

  it('shows the names and the email with its verification state, in labelled fields under headings', async () => {
    const browser = new Browser(server.url)
    await signup(browser, 'shown@example.com', { first_name: 'Ada', last_name: 'Lovelace' })
    const res = await browser.get('/profile')
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const html = browser.lastHtml
    for (const heading of ['Name', 'Email', 'Password']) expect(html).toMatch(new RegExp(`<h2 id="[a-z]+-heading">${heading}</h2>`))
    expect(html).toContain('Ada Lovelace')
    expect(html).toContain('value="Ada"')
    expect(html).toContain('value="Lovelace"')
    expect(html).toContain('shown@example.com')
    expect(html).toContain('(not verified yet)')
    // Three forms, each to its own path.
    expect(html).toContain('action="/profile/name"')
    expect(html).toContain('action="/profile/email"')
    expect(html).toContain('action="/profile/password"')
    // Every visible input has a label, and ids are unique across the three forms.
    const ids = [...html.matchAll(/<input id="([^"]+)"/g)].map((m) => m[1]!)
    expect(ids.sort()).toEqual(['current_password', 'email', 'email_password', 'first_name', 'last_name', 'new_password'])
    for (const id of ids) expect(html).toContain(`<label for="${id}">`)
    expect([...html.matchAll(/<input (?![^>]*type="hidden")/g)]).toHaveLength(ids.length)
    // No redirect_uri, no way back to an app.
    expect(html).not.toContain('Back to the app')
  })

  it('shows the error page, never a link, for a redirect_uri the realm does not accept', async () => {
    const browser = new Browser(server.url)
    await signup(browser, 'foreign@example.com')
    for (const who of [browser, new Browser(server.url)]) {
      const res = await who.get(profileUrl('https://evil.example/steal'))
      expect(res.status).toBe(400)
      const html = await res.text()
      expect(html).toContain('This link can’t be used')
      expect(html).not.toContain('href="https://evil.example')
      expect(html).not.toContain('Back to the app')
    }
    // Posting a form with one is refused too.
    await browser.get('/profile')
    const post = await browser.post(`/profile/name?redirect_uri=${encodeURIComponent('https://evil.example/')}`, { first_name: 'Eve', last_name: '' })
    expect(post.status).toBe(400)
    expect((await ssoClaims(browser)).given_name).toBe('Dave')
  })

  it('changes the name; the notice shows, redirect_uri is kept, and the next token carries the new name', async () => {
    const browser = new Browser(server.url)
    await signup(browser, 'rename@example.com')
    await browser.get(profileUrl(`${APP}/account`))
    const res = await browser.post(`/profile/name?redirect_uri=${encodeURIComponent(`${APP}/account`)}`, { first_name: ' Grace ', last_name: 'Hopper' })
    expect(res.status).toBe(303)
    const location = new URL(res.headers.get('location')!, server.url)
    expect(location.pathname).toBe('/profile')
    expect(location.searchParams.get('redirect_uri')).toBe(`${APP}/account`)

    await browser.follow(res)
    expect(browser.lastHtml).toContain('Your name was saved.')
    expect(browser.lastHtml).toContain('value="Grace"')
    expect(browser.lastHtml).toContain(`<a href="/login?redirect_uri=${encodeURIComponent(`${APP}/account`)}">Back to the app</a>`)
    expect(await ssoClaims(browser)).toMatchObject({ given_name: 'Grace', family_name: 'Hopper', name: 'Grace Hopper' })
    const back = await browser.get(`/login?redirect_uri=${encodeURIComponent(`${APP}/account`)}`)
    expect(new URL(back.headers.get('location')!).pathname).toBe('/account')
    expect(claimsOf(tokenFrom(back)).name).toBe('Grace Hopper')

    // Clearing optional names removes them from the token.
    await browser.get('/profile')
    await browser.post('/profile/name', { first_name: '', last_name: '' })
    const claims = await ssoClaims(browser)
    expect(claims.given_name).toBeUndefined()
    expect(claims.name).toBeUndefined()
  })

  it('keeps the typed names and shows each error beside its field', async () => {
    const browser = new Browser(server.url)
    await signup(browser, 'badname@example.com')
    await server.settings('name_field=required')
    try {
      await browser.get('/profile')
      const res = await browser.post('/profile/name', { first_name: '', last_name: 'Stays' })
      expect(res.status).toBe(422)
      const html = await res.text()
      expect(html).toContain('id="first_name-error">Enter your first name.')
      expect(html).toMatch(/<input id="first_name"[^>]*aria-invalid="true"[^>]*aria-describedby="first_name-error"/)
      expect(html).toContain('value="Stays"')
      expect(html).toContain('role="alert"')

      const long = await browser.post('/profile/name', { first_name: 'x'.repeat(5000), last_name: 'Line\nbreak' })
      expect(long.status).toBe(422)
      const longHtml = await long.text()
      expect(longHtml).toContain('id="first_name-error">Your first name can have at most 100 characters.')
      expect(longHtml).toContain('id="last_name-error">Your last name contains characters that are not allowed.')
      expect(longHtml).toContain(`value="${'x'.repeat(300)}"`)
      expect((await ssoClaims(browser)).given_name).toBe('Dave')
    } finally {
      await server.settings('name_field=optional')
    }
  })

  it('leaves the names out when the realm hides them', async () => {
    const browser = new Browser(server.url)
    await signup(browser, 'nonames@example.com')
    await server.settings('name_field=hidden')
    try {
      await browser.get('/profile')
      expect(browser.lastHtml).not.toContain('first_name')
      expect(browser.lastHtml).not.toContain('<h2 id="name-heading">')
      expect((await browser.post('/profile/name', { first_name: 'Sneaky', last_name: '' })).status).toBe(404)
    } finally {
      await server.settings('name_field=optional')
    }
  })

  it('an email change needs the current password, mails a link to the new address and a notice to the old, and changes nothing yet', async () => {
    const browser = new Browser(server.url)
    await signup(browser, 'old@example.com')
    await browser.get(profileUrl(APP))

    const wrong = await browser.post(`/profile/email?redirect_uri=${encodeURIComponent(APP)}`, { email: 'new@example.com', email_password: 'not my password' })
    expect(wrong.status).toBe(422)
    const wrongHtml = await wrong.text()
    expect(wrongHtml).toContain('id="email_password-error">That is not your current password.')
    expect(wrongHtml).toContain('value="new@example.com"')
    expect(wrongHtml).toContain(`<a href="/login?redirect_uri=${encodeURIComponent(`${APP}/`)}">Back to the app</a>`)
    const missing = await browser.post('/profile/email', { email: 'new@example.com', email_password: '' })
    expect(await missing.text()).toContain('id="email_password-error">Enter your current password.')
    const invalid = await browser.post('/profile/email', { email: 'not-an-email', email_password: PASSWORD })
    expect(await invalid.text()).toContain('id="email-error">Enter an email address like name@example.com.')
    expect(changeMails()).toHaveLength(0)

    const res = await browser.post(`/profile/email?redirect_uri=${encodeURIComponent(APP)}`, { email: ' New@Example.com ', email_password: PASSWORD })
    expect(res.status).toBe(303)
    const location = new URL(res.headers.get('location')!, server.url)
    expect(location.pathname).toBe('/profile')
    expect(location.searchParams.get('redirect_uri')).toBe(APP)
    await browser.follow(res)
    expect(browser.lastHtml).toContain('We sent a link to your new email address.')

    expect(changeMails()).toHaveLength(2)
    // (nodemailer lower-cases the domain of the envelope's addresses)
    const toNew = changeMails().find((m) => m.to.includes('New@example.com'))!
    const toOld = changeMails().find((m) => m.to.includes('old@example.com'))!
    expect(toNew.subject).toContain('Confirm your new email address')
    const link = new RegExp(`${server.url.replace(/\./g, '\\.')}/verify\\?token=([\\w-]+)&redirect_uri=([^\\s]+)`).exec(toNew.text)
    expect(link, toNew.text).not.toBeNull()
    expect(decodeURIComponent(link![2]!)).toBe(APP)
    expect(toOld.text).toContain('from old@example.com to New@Example.com')
    expect(toOld.text).not.toContain(link![1]!)

    // The link's token names the new address; the account keeps the old one until it is opened.
    const { services } = server.booted
    const claims = await ssoClaims(browser)
    expect(claims).toMatchObject({ email: 'old@example.com', email_verified: false })
    const token = await services.links.peek('email_verification', link![1]!, services.clock())
    expect(token).toMatchObject({ purpose: 'email_verification', email: 'New@Example.com', userId: claims.sub })
    await browser.get('/profile')
    expect(browser.lastHtml).toContain('<span class="email">old@example.com</span>')
  })

  it('opening the mailed link makes the new address the verified email', async () => {
    const browser = new Browser(server.url)
    await signup(browser, 'before@example.com')
    await browser.get(profileUrl(APP))
    const res = await browser.post(`/profile/email?redirect_uri=${encodeURIComponent(APP)}`, { email: 'after@example.com', email_password: PASSWORD })
    expect(res.status).toBe(303)
    const mail = changeMails().find((m) => m.to.includes('after@example.com'))!
    const link = new URL(/https?:\/\/\S+\/verify\?\S+/.exec(mail.text)![0])
    expect(link.origin).toBe(server.url)

    // Opened in the browser that is logged in: a completed change ends the user's other sessions, not this one.
    const confirmed = await browser.get(link.pathname + link.search)
    expect(confirmed.status).toBe(200)
    expect(await confirmed.text()).toContain('after@example.com')
    expect(await ssoClaims(browser)).toMatchObject({ email: 'after@example.com', email_verified: true })
    await browser.get('/profile')
    expect(browser.lastHtml).toContain('<span class="email">after@example.com</span> <span class="email-state">(verified)</span>')
    expect((await login(new Browser(server.url), 'after@example.com')).status).toBe(303)
    expect((await login(new Browser(server.url), 'before@example.com')).status).toBe(401)
    // The link works once.
    expect((await new Browser(server.url).get(link.pathname + link.search)).status).toBe(410)
  })

  it('refuses an email address another account uses, or the current one', async () => {
    await signup(new Browser(server.url), 'taken@example.com')
    const browser = new Browser(server.url)
    await signup(browser, 'mine@example.com')
    await browser.get('/profile')
    for (const [email, error] of [
      ['TAKEN@example.com', 'Another account already uses this email address.'],
      ['mine@example.com', 'This is already your email address.'],
    ] as const) {
      const res = await browser.post('/profile/email', { email, email_password: PASSWORD })
      expect(res.status).toBe(422)
      expect(await res.text()).toContain(`id="email-error">${error}`)
    }
    // Without the right password, nothing is said about other accounts.
    const res = await browser.post('/profile/email', { email: 'taken@example.com', email_password: 'wrong password' })
    const html = await res.text()
    expect(html).not.toContain('Another account')
    expect(html).toContain('id="email_password-error">That is not your current password.')
    expect(changeMails()).toHaveLength(0)
  })

  it('a password change needs the current password, ends the other sessions and keeps this one', async () => {
    const browser = new Browser(server.url)
    const ownToken = tokenFrom(await signup(browser, 'pw@example.com'))
    const other = new Browser(server.url)
    const otherToken = tokenFrom(await login(other, 'pw@example.com'))
    expect((await renew(otherToken)).status).toBe(200)

    await browser.get('/profile')
    const wrong = await browser.post('/profile/password', { current_password: 'wrong password', new_password: 'a brand new secret' })
    expect(wrong.status).toBe(422)
    expect(await wrong.text()).toContain('id="current_password-error">That is not your current password.')
    const empty = await browser.post('/profile/password', { current_password: '', new_password: 'a brand new secret' })
    expect(await empty.text()).toContain('id="current_password-error">Enter your current password.')
    const short = await browser.post('/profile/password', { current_password: PASSWORD, new_password: 'short' })
    expect(short.status).toBe(422)
    expect(await short.text()).toContain('id="new_password-error">Use at least 8 characters.')
    expect((await renew(otherToken)).status).toBe(200)

    const res = await browser.post('/profile/password', { current_password: PASSWORD, new_password: 'a brand new secret' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/profile?saved=password')
    expect((await browser.follow(res)).status).toBe(200)
    expect(browser.lastHtml).toContain('Your password was changed.')

    // The other browser's session is over; this one lives on.
    const ended = await renew(otherToken)
    expect(ended.status).toBe(401)
    expect((await other.get('/profile')).status).toBe(303)
    expect((await renew(ownToken)).status).toBe(200)
    expect((await browser.get('/profile')).status).toBe(200)
    expect((await ssoClaims(browser)).sid).toBe(claimsOf(ownToken).sid)

    expect((await login(new Browser(server.url), 'pw@example.com')).status).toBe(401)
    expect((await login(new Browser(server.url), 'pw@example.com', 'a brand new secret')).status).toBe(303)
  })

  it('refuses each form without its CSRF token', async () => {
    const browser = new Browser(server.url)
    await signup(browser, 'csrf@example.com')
    await browser.get('/profile')
    const forms = {
      '/profile/name': { first_name: 'Mallory', last_name: '' },
      '/profile/email': { email: 'mallory@example.com', email_password: PASSWORD },
      '/profile/password': { current_password: PASSWORD, new_password: 'mallory was here' },
    }
    for (const [path, fields] of Object.entries(forms)) {
      for (const csrf of ['', 'forged']) {
        const res = await browser.post(path, { ...fields, csrf })
        expect(res.status, `${path} csrf=${csrf}`).toBe(403)
      }
    }
    expect(changeMails()).toHaveLength(0)
    expect((await ssoClaims(browser)).given_name).toBe('Dave')
    expect((await login(new Browser(server.url), 'csrf@example.com')).status).toBe(303)
  })

  it('answers huge inputs with form errors, never a server error', async () => {
    const browser = new Browser(server.url)
    await signup(browser, 'huge@example.com')
    await browser.get('/profile')
    // Far over every field's limit, within a form's 64 KiB (a megabyte is refused at the door, 413).
    const megabyte = 'p'.repeat(20_000)
    const cases: [string, Record<string, string>, string][] = [
      ['/profile/password', { current_password: megabyte, new_password: 'a brand new secret' }, 'id="current_password-error"'],
      ['/profile/password', { current_password: PASSWORD, new_password: megabyte }, 'id="new_password-error">Use at most 256 characters.'],
      ['/profile/email', { email: 'big@example.com', email_password: megabyte }, 'id="email_password-error"'],
      ['/profile/email', { email: `${'e'.repeat(5000)}@example.com`, email_password: PASSWORD }, 'id="email-error">An email address has at most 254 characters.'],
      ['/profile/name', { first_name: 'n'.repeat(5000), last_name: 'n'.repeat(5000) }, 'id="last_name-error">Your last name can have at most 100 characters.'],
    ]
    for (const [path, fields, expected] of cases) {
      const res = await browser.post(path, fields)
      expect(res.status, path).toBe(422)
      expect(await res.text()).toContain(expected)
    }
    const tooLarge = await browser.post('/profile/password', { current_password: 'p'.repeat(1024 * 1024), new_password: 'a brand new secret' })
    expect(tooLarge.status).toBe(413)
    expect(changeMails()).toHaveLength(0)
    expect((await login(new Browser(server.url), 'huge@example.com')).status).toBe(303)
  })

  it('a form sent after the session ended goes to log in, then back to the profile', async () => {
    const browser = new Browser(server.url)
    await signup(browser, 'expired@example.com')
    await browser.get(profileUrl(APP))
    const csrf = browser.csrf()
    await browser.get('/logout')
    await browser.post('/logout', {})
    const res = await browser.post(`/profile/name?redirect_uri=${encodeURIComponent(APP)}`, { csrf, first_name: 'Late', last_name: '' })
    expect(res.status).toBe(303)
    const location = new URL(res.headers.get('location')!, server.url)
    expect(location.pathname).toBe('/login')
    expect(location.searchParams.get('return_to')).toBe(`/profile?redirect_uri=${encodeURIComponent(APP)}`)
  })
})
