import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Browser, claimsOf, tokenFrom } from './support/browser.js'
import { DIALECTS } from './support/dialects.js'
import { linkIn, MailCatcher, settle } from './support/mail-catcher.js'
import { startServer, type TestServer } from './support/server.js'

const APP = 'http://localhost:3000'
const WELCOME = `${APP}/welcome`
const PASSWORD = 'correct horse battery'
const REALM_NAME = 'Acme Café'

async function signup(server: TestServer, email: string): Promise<{ browser: Browser; token: string }> {
  const browser = new Browser(server.url)
  await browser.get(`/signup?redirect_uri=${encodeURIComponent(WELCOME)}`)
  const res = await browser.post(`/signup?redirect_uri=${encodeURIComponent(WELCOME)}`, { email, password: PASSWORD, first_name: 'Dave' })
  expect(res.status).toBe(303)
  return { browser, token: tokenFrom(res) }
}

async function login(server: TestServer, email: string, password: string): Promise<Response> {
  const browser = new Browser(server.url)
  await browser.get('/login')
  return browser.post(`/login?redirect_uri=${encodeURIComponent(APP)}`, { email, password })
}

function renew(server: TestServer, token: string): Promise<Response> {
  return fetch(`${server.url}/connect/renew`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
}

/** Asks for a reset link in a fresh browser (with the app's redirect_uri unless told otherwise). */
async function forgot(server: TestServer, email: string, redirectUri: string | null = WELCOME): Promise<Response> {
  const browser = new Browser(server.url)
  const carry = redirectUri ? `?redirect_uri=${encodeURIComponent(redirectUri)}` : ''
  await browser.get(`/forgot${carry}`)
  return browser.post(`/forgot${carry}`, { email })
}

/** The page as the same for everyone: without the per-browser CSRF token. */
const comparable = (html: string) => html.replace(/name="csrf" value="[^"]*"/g, '')

describe.each(DIALECTS)('password reset by mail on %s', (dialect) => {
  let server: TestServer
  let smtp: MailCatcher
  const realClock = () => new Date()

  beforeAll(async () => {
    smtp = await MailCatcher.start()
    server = await startServer({
      dialect,
      env: { AIRLOCK_SMTP_URL: smtp.url },
      // No verification mail at signup: these tests count only reset mails.
      settings: [`login_urls=${APP}`, `name=${REALM_NAME}`, 'email_verification=none'],
    })
  })
  afterEach(() => {
    server.booted.services.clock = realClock
  })
  afterAll(async () => {
    await server.close()
    await smtp.close()
  })

  /** Requests a reset for `email` and returns the link from the n-th mail to it. */
  async function resetLink(email: string, nth = 1, redirectUri: string | null = WELCOME): Promise<URL> {
    const res = await forgot(server, email, redirectUri)
    expect(res.status).toBe(200)
    const mail = await smtp.waitFor(email, nth)
    return linkIn(mail.text, server.url, '/reset')
  }

  it('resets the password from the mailed link, logs in and sends the browser back to the app', async () => {
    const email = 'reset@example.com'
    const { token: before } = await signup(server, email)
    expect(claimsOf(before).email_verified).toBe(false)

    // The login page links to /forgot with the app's redirect_uri, and the form carries it.
    const browser = new Browser(server.url)
    await browser.get(`/login?redirect_uri=${encodeURIComponent(WELCOME)}`)
    expect(browser.lastHtml).toContain(`href="/forgot?redirect_uri=${encodeURIComponent(WELCOME)}"`)
    await browser.get(`/forgot?redirect_uri=${encodeURIComponent(WELCOME)}`)
    expect(browser.lastHtml).toContain(`name="redirect_uri" value="${WELCOME}"`)
    const asked = await browser.post(`/forgot?redirect_uri=${encodeURIComponent(WELCOME)}`, { email: 'RESET@example.com' })
    expect(asked.status).toBe(200)
    expect(await asked.text()).toContain('If an account exists for that address, we’ve sent a link')

    const mail = await smtp.waitFor(email)
    expect(mail.to).toEqual([email])
    expect(mail.contentTypes).toEqual(['text/plain'])
    // The realm's name and the long link make nodemailer encode the body; the catcher decodes it.
    expect(mail.raw).toMatch(/^Content-Transfer-Encoding: (quoted-printable|base64)/im)
    expect(mail.subject).toBe(`Reset your ${REALM_NAME} password`)
    expect(mail.text).toContain(REALM_NAME)
    expect(mail.text).toContain('30 minutes')
    expect(mail.text).toContain("If you didn't ask to reset your password, ignore this email")
    const link = linkIn(mail.text, server.url, '/reset')
    expect(link.searchParams.get('token')).toMatch(/^[\w-]{43}$/)
    expect(link.searchParams.get('redirect_uri')).toBe(WELCOME)

    // Opening the link shows the form; it doesn't use the link up.
    const reader = new Browser(server.url)
    for (let i = 0; i < 2; i++) {
      const page = await reader.get(link.pathname + link.search)
      expect(page.status).toBe(200)
      expect(reader.lastHtml).toContain('<label for="new_password">New password</label>')
      expect(page.headers.get('cache-control')).toBe('no-store')
      expect(page.headers.get('referrer-policy')).toBe('same-origin')
    }
    const done = await reader.post('/reset', { token: link.searchParams.get('token')!, redirect_uri: WELCOME, new_password: 'a brand new secret' })
    expect(done.status).toBe(303)
    expect(new URL(done.headers.get('location')!).origin + new URL(done.headers.get('location')!).pathname).toBe(WELCOME)
    const claims = claimsOf(tokenFrom(done))
    expect(claims.sub).toBe(claimsOf(before).sub)
    // The mail reached its owner, so the address counts as verified from now on.
    expect(claims.email_verified).toBe(true)
    expect(reader.cookies.has('lr_session')).toBe(true)

    expect((await login(server, email, PASSWORD)).status).toBe(401)
    expect((await login(server, email, 'a brand new secret')).status).toBe(303)
  })

  it('answers an unknown address with the same page and status, and mails nothing', async () => {
    await signup(server, 'known@example.com')
    const known = await forgot(server, 'known@example.com')
    const unknown = await forgot(server, 'unknown@example.com')
    expect(unknown.status).toBe(known.status)
    expect(known.status).toBe(200)
    expect(comparable(await unknown.text())).toBe(comparable(await known.text()))

    await smtp.waitFor('known@example.com')
    await settle()
    expect(smtp.to('unknown@example.com')).toEqual([])
    const recorded = await server.booted.services.mails.recent(100)
    expect(recorded.some((m) => m.to === 'unknown@example.com')).toBe(false)
    expect(recorded.find((m) => m.to === 'known@example.com')).toMatchObject({ error: null, sentAt: expect.any(Date) })
  })

  it('uses a link only once', async () => {
    const email = 'once@example.com'
    await signup(server, email)
    const link = await resetLink(email)
    const browser = new Browser(server.url)
    await browser.get(link.pathname + link.search)
    const token = link.searchParams.get('token')!
    expect((await browser.post('/reset', { token, new_password: 'first new password' })).status).toBe(303)

    const again = await browser.get(link.pathname + link.search)
    expect(again.status).toBe(410)
    expect(browser.lastHtml).toContain('has expired or has already been used')
    expect(browser.lastHtml).toContain(`href="/forgot?redirect_uri=${encodeURIComponent(WELCOME)}"`)
    const other = new Browser(server.url)
    await other.get('/forgot')
    expect((await other.post('/reset', { token, new_password: 'second new password' })).status).toBe(410)
    expect((await login(server, email, 'first new password')).status).toBe(303)
    expect((await login(server, email, 'second new password')).status).toBe(401)
  })

  it('refuses a link after 30 minutes', async () => {
    const email = 'expired@example.com'
    await signup(server, email)
    const link = await resetLink(email)
    const browser = new Browser(server.url)
    const services = server.booted.services

    services.clock = () => new Date(Date.now() + 29 * 60_000)
    expect((await browser.get(link.pathname + link.search)).status).toBe(200)

    services.clock = () => new Date(Date.now() + 31 * 60_000)
    expect((await browser.get(link.pathname + link.search)).status).toBe(410)
    expect(browser.lastHtml).toContain('This link has expired')
    await browser.get('/forgot')
    expect((await browser.post('/reset', { token: link.searchParams.get('token')!, new_password: 'too late now!' })).status).toBe(410)

    services.clock = realClock
    expect((await login(server, email, PASSWORD)).status).toBe(303)
  })

  it('voids an older link when a newer one is sent', async () => {
    const email = 'newer@example.com'
    await signup(server, email)
    const older = await resetLink(email, 1)
    const newer = await resetLink(email, 2)
    expect(newer.searchParams.get('token')).not.toBe(older.searchParams.get('token'))
    const browser = new Browser(server.url)
    expect((await browser.get(older.pathname + older.search)).status).toBe(410)
    expect((await browser.get(newer.pathname + newer.search)).status).toBe(200)
  })

  it('ends every other session of the user: their tokens no longer renew', async () => {
    const email = 'sessions@example.com'
    const { browser: first, token: firstToken } = await signup(server, email)
    const second = await login(server, email, PASSWORD)
    const secondToken = tokenFrom(second)
    expect((await renew(server, firstToken)).status).toBe(200)
    expect((await renew(server, secondToken)).status).toBe(200)

    const link = await resetLink(email)
    const browser = new Browser(server.url)
    await browser.get(link.pathname + link.search)
    const done = await browser.post('/reset', { token: link.searchParams.get('token')!, redirect_uri: WELCOME, new_password: 'locked out others' })
    const freshToken = tokenFrom(done)

    expect((await renew(server, firstToken)).status).toBe(401)
    expect((await renew(server, secondToken)).status).toBe(401)
    const renewed = await renew(server, freshToken)
    expect(renewed.status).toBe(200)
    expect(claimsOf(((await renewed.json()) as { token: string }).token).sub).toBe(claimsOf(freshToken).sub)
    // The first browser is no longer logged in at LoginRocket either: it gets the login form.
    expect((await first.get(`/login?redirect_uri=${encodeURIComponent(APP)}`)).status).toBe(200)
    expect(first.lastHtml).toContain('<label for="password">Password</label>')
  })

  it('without a redirect_uri, ends on a page that says what happened', async () => {
    const email = 'noapp@example.com'
    await signup(server, email)
    const link = await resetLink(email, 1, null)
    expect(link.searchParams.has('redirect_uri')).toBe(false)
    const browser = new Browser(server.url)
    await browser.get(link.pathname + link.search)
    const done = await browser.post('/reset', { token: link.searchParams.get('token')!, new_password: 'no app involved' })
    expect(done.status).toBe(303)
    expect(done.headers.get('location')).toBe('/reset/done')
    const page = await browser.follow(done)
    expect(page.status).toBe(200)
    expect(browser.lastHtml).toContain('Your password has been changed, and you are logged in')
    // "Continue" goes through the login page, which sends a logged-in browser on to the app.
    const onward = await browser.get('/login')
    expect(onward.status).toBe(303)
    expect(claimsOf(tokenFrom(onward)).email).toBe(email)
  })

  it('shows a bad new password next to the field and keeps the link usable', async () => {
    const email = 'badpass@example.com'
    await signup(server, email)
    const link = await resetLink(email)
    const token = link.searchParams.get('token')!
    const browser = new Browser(server.url)
    await browser.get(link.pathname + link.search)

    const short = await browser.post('/reset', { token, new_password: 'short' })
    expect(short.status).toBe(422)
    expect(browser.lastHtml).toMatch(/id="new_password-error">Use at least 8 characters/)
    expect(browser.lastHtml).toContain(`name="token" value="${token}"`)

    // Over the field's limit, within a form's 64 KiB (bigger forms are refused at the door, 413).
    const huge = await browser.post('/reset', { token, new_password: 'x'.repeat(20_000) })
    expect(huge.status).toBe(422)
    expect(browser.lastHtml).toMatch(/id="new_password-error">Use at most 256 characters/)

    const same = await browser.post('/reset', { token, new_password: email })
    expect(same.status).toBe(422)
    expect(browser.lastHtml).toContain('doesn’t contain your email address')

    expect((await browser.post('/reset', { token, new_password: 'finally a good one' })).status).toBe(303)
  })

  it('answers bad addresses with a form error, never a server error, and mails nobody', async () => {
    const cases: [string, RegExp][] = [
      ['a'.repeat(5000) + '@example.com', /An email address has at most 254 characters/],
      ['victim@example.com\r\nBcc: attacker@example.com', /Enter an email address like name@example.com/],
      ['victim@example.com\nX-Injected: yes', /Enter an email address like name@example.com/],
      ['', /Enter your email address/],
    ]
    await signup(server, 'victim@example.com')
    for (const [email, message] of cases) {
      const res = await forgot(server, email)
      expect(res.status).toBe(422)
      expect(await res.text()).toMatch(message)
    }
    // A token that is too long, or absent, is just an unusable link.
    const browser = new Browser(server.url)
    expect((await browser.get(`/reset?token=${'t'.repeat(5000)}`)).status).toBe(410)
    expect((await browser.get('/reset')).status).toBe(410)
    await browser.get('/forgot')
    expect((await browser.post('/reset', { token: 'x'.repeat(60_000), new_password: 'whatever you like' })).status).toBe(410)
    await settle()
    expect(smtp.to('victim@example.com')).toEqual([])
    expect(smtp.to('attacker@example.com')).toEqual([])
  })

  it('refuses the reset form without its CSRF token', async () => {
    const email = 'csrf@example.com'
    await signup(server, email)
    const link = await resetLink(email)
    const browser = new Browser(server.url)
    await browser.get(link.pathname + link.search)
    const res = await browser.post('/reset', { csrf: 'forged', token: link.searchParams.get('token')!, new_password: 'attacker chose this' })
    expect(res.status).toBe(403)
    expect((await login(server, email, PASSWORD)).status).toBe(303)
  })
})

describe.each(DIALECTS)('password reset through the outbox (no SMTP server) on %s', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startServer({ dialect, settings: [`login_urls=${APP}`, 'email_verification=none'] })
  })
  afterAll(() => server.close())

  it('stores the mail in the mails table, and its link works', async () => {
    const email = 'outbox@example.com'
    await signup(server, email)
    expect((await forgot(server, email)).status).toBe(200)

    const deadline = Date.now() + 5000
    let stored = (await server.booted.services.mails.recent(10)).find((m) => m.to === email)
    while (!stored && Date.now() < deadline) {
      await settle(50)
      stored = (await server.booted.services.mails.recent(10)).find((m) => m.to === email)
    }
    expect(stored).toMatchObject({ subject: 'Reset your Demo password', sentAt: null, error: null, realmId: server.booted.realm.id })
    const link = linkIn(stored!.text, server.url, '/reset')

    const browser = new Browser(server.url)
    await browser.get(link.pathname + link.search)
    const done = await browser.post('/reset', { token: link.searchParams.get('token')!, redirect_uri: WELCOME, new_password: 'relayed by the mails table' })
    expect(done.status).toBe(303)
    expect((await login(server, email, 'relayed by the mails table')).status).toBe(303)
  })
})
