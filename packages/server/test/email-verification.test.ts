import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Browser, claimsOf, tokenFrom } from './support/browser.js'
import { DIALECTS } from './support/dialects.js'
import { linkIn, MailCatcher, settle } from './support/mail-catcher.js'
import { startServer, type TestServer } from './support/server.js'

const APP = 'http://localhost:3000'
const WELCOME = `${APP}/welcome`
const CARRY = `?redirect_uri=${encodeURIComponent(WELCOME)}`
const PASSWORD = 'correct horse battery'

async function signup(server: TestServer, email: string, browser = new Browser(server.url)): Promise<Response> {
  await browser.get(`/signup${CARRY}`)
  return browser.post(`/signup${CARRY}`, { email, password: PASSWORD, first_name: 'Vera' })
}

async function login(server: TestServer, email: string, browser = new Browser(server.url)): Promise<Response> {
  await browser.get(`/login${CARRY}`)
  return browser.post(`/login${CARRY}`, { email, password: PASSWORD })
}

const pathOf = (url: URL) => url.pathname + url.search

describe.each(DIALECTS)('email verification on %s', (dialect) => {
  let server: TestServer
  let smtp: MailCatcher
  const realClock = () => new Date()

  beforeAll(async () => {
    smtp = await MailCatcher.start()
    server = await startServer({ dialect, env: { AIRLOCK_SMTP_URL: smtp.url }, settings: [`login_urls=${APP}`, 'name=Verify Realm'] })
  })
  afterEach(() => {
    server.booted.services.clock = realClock
  })
  afterAll(async () => {
    await server.close()
    await smtp.close()
  })

  async function verificationLink(email: string, nth = 1): Promise<URL> {
    const mail = await smtp.waitFor(email, nth)
    return linkIn(mail.text, server.url, '/verify')
  }

  it('required: signup and login give no session or token until the address is confirmed', async () => {
    await server.settings('email_verification=required')
    const email = 'required@example.com'
    const browser = new Browser(server.url)
    const res = await signup(server, email, browser)
    expect(res.status).toBe(200)
    expect(res.headers.get('location')).toBeNull()
    expect(browser.lastHtml).toContain('Check your email')
    expect(browser.lastHtml).toContain(email)
    expect(browser.lastHtml).toContain('Send the link again')
    expect(browser.cookies.has('lr_session')).toBe(false)

    const mail = await smtp.waitFor(email)
    expect(mail.contentTypes).toEqual(['text/plain'])
    expect(mail.subject).toBe('Confirm your email address for Verify Realm')
    expect(mail.text).toContain('Verify Realm')
    expect(mail.text).toContain('24 hours')
    const link = linkIn(mail.text, server.url, '/verify')
    expect(link.searchParams.get('redirect_uri')).toBe(WELCOME)

    // The right password is not enough yet.
    const early = new Browser(server.url)
    const attempt = await login(server, email, early)
    expect(attempt.status).toBe(200)
    expect(attempt.headers.get('location')).toBeNull()
    expect(early.lastHtml).toContain('isn’t confirmed yet')
    expect(early.cookies.has('lr_session')).toBe(false)

    // The link confirms it (in any browser), and offers the way back to the app.
    const reader = new Browser(server.url)
    const confirmed = await reader.get(pathOf(link))
    expect(confirmed.status).toBe(200)
    expect(reader.lastHtml).toContain('Email address confirmed')
    expect(reader.lastHtml).toContain(`href="/login${CARRY}"`)

    const after = await login(server, email)
    expect(after.status).toBe(303)
    expect(claimsOf(tokenFrom(after))).toMatchObject({ email, email_verified: true })
  })

  it('required: "Send the link again" mails a new link that voids the old, and answers the same for anyone', async () => {
    await server.settings('email_verification=required')
    const email = 'resend@example.com'
    const browser = new Browser(server.url)
    await signup(server, email, browser)
    const first = await verificationLink(email)

    expect(browser.lastHtml).toContain(`name="email" value="${email}"`)
    const again = await browser.post('/verify/resend', { email, redirect_uri: WELCOME })
    expect(again.status).toBe(200)
    expect(browser.lastHtml).toContain('If this address still needs confirming, we’ve sent a new link to it.')
    const second = await verificationLink(email, 2)
    expect(second.searchParams.get('redirect_uri')).toBe(WELCOME)

    const reader = new Browser(server.url)
    expect((await reader.get(pathOf(first))).status).toBe(410)
    expect(reader.lastHtml).toContain('has expired or has already been used')
    expect((await reader.get(pathOf(second))).status).toBe(200)

    // Unknown, already confirmed, or malformed: the same answer, and no mail.
    const answers: { status: number; page: string }[] = []
    for (const address of [email, 'nobody@example.com', 'x'.repeat(5000), 'a@example.com\r\nBcc: b@example.com']) {
      const other = new Browser(server.url)
      await other.get('/login')
      const res = await other.post('/verify/resend', { email: address })
      const page = (await res.text()).replace(/name="csrf" value="[^"]*"/g, '').replaceAll(address.slice(0, 300), 'ADDRESS')
      answers.push({ status: res.status, page })
    }
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200])
    expect(new Set(answers.map((a) => a.page)).size).toBe(1)
    await settle()
    expect(smtp.to(email)).toHaveLength(2)
    expect(smtp.to('nobody@example.com')).toEqual([])
    expect(smtp.to('b@example.com')).toEqual([])
  })

  it('required: the resend form needs its CSRF token', async () => {
    await server.settings('email_verification=required')
    const browser = new Browser(server.url)
    await browser.get('/login')
    const res = await browser.post('/verify/resend', { csrf: 'forged', email: 'someone@example.com' })
    expect(res.status).toBe(403)
  })

  it('required: a browser still logged in from before the setting is not sent back with a token', async () => {
    await server.settings('email_verification=optional')
    const email = 'switched@example.com'
    const browser = new Browser(server.url)
    expect((await signup(server, email, browser)).status).toBe(303)
    await server.settings('email_verification=required')
    const res = await browser.get(`/login${CARRY}`)
    expect(res.status).toBe(200)
    expect(browser.lastHtml).toContain('isn’t confirmed yet')

    await new Browser(server.url).get(pathOf(await verificationLink(email)))
    const now = await browser.get(`/login${CARRY}`)
    expect(now.status).toBe(303)
    expect(claimsOf(tokenFrom(now)).email_verified).toBe(true)
  })

  it('optional: signup mails a link but logs in at once; confirming shows in the next token', async () => {
    await server.settings('email_verification=optional')
    const email = 'optional@example.com'
    const browser = new Browser(server.url)
    const res = await signup(server, email, browser)
    expect(res.status).toBe(303)
    expect(claimsOf(tokenFrom(res))).toMatchObject({ email, email_verified: false })

    const link = await verificationLink(email)
    const confirmed = await browser.get(pathOf(link))
    expect(confirmed.status).toBe(200)
    const back = await browser.get(`/login${CARRY}`)
    expect(back.status).toBe(303)
    expect(claimsOf(tokenFrom(back)).email_verified).toBe(true)
  })

  it('none: signup mails nothing', async () => {
    await server.settings('email_verification=none')
    const email = 'none@example.com'
    const res = await signup(server, email)
    expect(res.status).toBe(303)
    expect(claimsOf(tokenFrom(res)).email_verified).toBe(false)
    // Resending has nothing to send either.
    const browser = new Browser(server.url)
    await browser.get('/login')
    expect((await browser.post('/verify/resend', { email })).status).toBe(200)
    await settle()
    expect(smtp.to(email)).toEqual([])
    const recorded = await server.booted.services.mails.recent(100)
    expect(recorded.some((m) => m.to === email)).toBe(false)
  })

  it('uses a link only once, and not after 24 hours', async () => {
    await server.settings('email_verification=optional')
    const used = 'used-once@example.com'
    await signup(server, used)
    const link = await verificationLink(used)
    const browser = new Browser(server.url)
    expect((await browser.get(pathOf(link))).status).toBe(200)
    expect((await browser.get(pathOf(link))).status).toBe(410)
    expect(browser.lastHtml).toContain(`href="/login${CARRY}"`)

    const late = 'late@example.com'
    await signup(server, late)
    const lateLink = await verificationLink(late)
    server.booted.services.clock = () => new Date(Date.now() + 24 * 60 * 60_000 + 60_000)
    expect((await browser.get(pathOf(lateLink))).status).toBe(410)
    server.booted.services.clock = realClock
    const token = await login(server, late)
    expect(claimsOf(tokenFrom(token)).email_verified).toBe(false)
    // A garbage or missing token is just an unusable link.
    expect((await browser.get(`/verify?token=${'z'.repeat(5000)}`)).status).toBe(410)
    expect((await browser.get('/verify')).status).toBe(410)
  })

  it('a link for a new address (a profile change) makes it the verified email; a taken address gets a clear page', async () => {
    await server.settings('email_verification=optional')
    const { services, realm } = server.booted
    const res = await signup(server, 'old-address@example.com')
    const userId = claimsOf(tokenFrom(res)).sub as string

    const secret = await services.links.create('email_verification', { realmId: realm.id, userId, email: 'new-address@example.com' }, new Date())
    const browser = new Browser(server.url)
    const page = await browser.get(`/verify?token=${secret}`)
    expect(page.status).toBe(200)
    expect(browser.lastHtml).toContain('new-address@example.com')
    const token = await login(server, 'new-address@example.com')
    expect(claimsOf(tokenFrom(token))).toMatchObject({ sub: userId, email: 'new-address@example.com', email_verified: true })
    expect((await login(server, 'old-address@example.com')).status).toBe(401)

    // Someone else signed up with the address before the link was opened.
    const other = await signup(server, 'contested@example.com')
    expect(other.status).toBe(303)
    const late = await services.links.create('email_verification', { realmId: realm.id, userId, email: 'Contested@Example.com' }, new Date())
    const taken = await browser.get(`/verify?token=${late}`)
    expect(taken.status).toBe(409)
    expect(browser.lastHtml).toContain('Another account now uses')
    expect(browser.lastHtml).toContain('new-address@example.com')
    expect(claimsOf(tokenFrom(await login(server, 'new-address@example.com'))).email).toBe('new-address@example.com')
  })
})

describe.each(DIALECTS)('email verification through the outbox (no SMTP server) on %s', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startServer({ dialect, settings: [`login_urls=${APP}`, 'email_verification=required'] })
  })
  afterAll(() => server.close())

  it('stores the verification mail in the mails table, and its link works', async () => {
    const email = 'outbox-verify@example.com'
    expect((await signup(server, email)).status).toBe(200)
    const deadline = Date.now() + 5000
    let stored = (await server.booted.services.mails.recent(10)).find((m) => m.to === email)
    while (!stored && Date.now() < deadline) {
      await settle(50)
      stored = (await server.booted.services.mails.recent(10)).find((m) => m.to === email)
    }
    expect(stored).toMatchObject({ subject: 'Confirm your email address for Demo', sentAt: null, realmId: server.booted.realm.id })
    const link = linkIn(stored!.text, server.url, '/verify')
    expect((await new Browser(server.url).get(pathOf(link))).status).toBe(200)
    expect(claimsOf(tokenFrom(await login(server, email))).email_verified).toBe(true)
  })
})
