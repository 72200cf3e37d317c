import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createRealm } from '../src/services/realms.js'
import { back, PASSWORD, signUp } from './support/accounts.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { linkIn, MailCatcher } from './support/mail-catcher.js'
import { mailAbout } from './support/mails.js'
import { startServer, type TestServer } from './support/server.js'

const REALM_NAME = 'Mailing Realm'
const ADMIN_EMAIL = 'mails-admin@example.com'
const ADMIN_PASSWORD = 'admin password 123'
const DAY = 24 * 60 * 60_000

/** The security mails (ASVS V6.3.7, V2.5.5): a changed password, a completed email change and its undo link. */
describe.each(DIALECTS)('security mails on %s', (dialect) => {
  let server: TestServer
  let smtp: MailCatcher
  const realClock = () => new Date()

  beforeAll(async () => {
    smtp = await MailCatcher.start()
    server = await startServer({
      dialect,
      trustProxy: true,
      env: { AIRLOCK_SMTP_URL: smtp.url },
      settings: ['login_urls=http://localhost:3000', `name=${REALM_NAME}`, 'email_verification=none'],
    })
    const created = await server.booted.services.admins.create(ADMIN_EMAIL, ADMIN_PASSWORD, null, new Date())
    if (!created.ok) throw new Error('admin not created')
  })
  afterEach(() => {
    server.booted.services.clock = realClock
  })
  afterAll(async () => {
    await server.close()
    await smtp.close()
  })

  const emailOf = async (userId: string) => (await server.booted.services.users.byId(server.booted.realm, userId))!.email
  const path = (link: URL) => link.pathname + link.search
  const loggedIn = async (client: Client) => (await client.get('/profile')).status === 200

  async function login(email: string, password = PASSWORD): Promise<Response> {
    const client = new Client(server)
    await client.get(`/login?${back}`)
    return client.post(`/login?${back}`, { email, password })
  }

  /**
   * The takeover: with the password, `attacker` changes the account's address to `to` and confirms it in their
   * own browser. Returns the undo link mailed to the former address.
   */
  async function takeOver(email: string, to: string): Promise<{ attacker: Client; undo: URL }> {
    const attacker = new Client(server)
    await attacker.get(`/login?${back}`)
    expect((await attacker.post(`/login?${back}`, { email, password: PASSWORD })).status).toBe(303)
    return { attacker, undo: await changeAddress(attacker, email, to) }
  }

  /** Changes the address of `client`'s user from `from` to `to` and confirms it there; returns the undo link mailed to `from`. */
  async function changeAddress(client: Client, from: string, to: string): Promise<URL> {
    await client.get('/profile')
    expect((await client.post('/profile/email', { email: to, email_password: PASSWORD })).status).toBe(303)
    const verify = linkIn((await mailAbout(smtp, to, 'Confirm your new email address')).text, server.url, '/verify')
    expect((await client.get(path(verify))).status).toBe(200)
    return linkIn((await mailAbout(smtp, from, 'email address of your')).text, server.url, '/email/undo')
  }

  it('a password changed on the profile is mailed to the owner, with a link to reset it and no secret', async () => {
    const owner = await signUp(server, 'pw-profile@example.com')
    await owner.client.get('/profile')
    expect((await owner.client.post('/profile/password', { current_password: PASSWORD, new_password: 'a secret nobody knows' })).status).toBe(303)
    const mail = await mailAbout(smtp, owner.email, 'password was changed')
    expect(mail.subject).toBe(`Your ${REALM_NAME} password was changed`)
    expect(mail.text).toContain("If this wasn't you, reset your password now:")
    expect(mail.text).not.toContain('a secret nobody knows')
    expect(mail.text).not.toContain('token=')
    // The link, alone on its line, opens the forgot-password form.
    const forgot = mail.text.split('\n').find((line) => line.startsWith('http'))!
    expect(forgot).toBe(`${server.url}/forgot`)
    expect((await new Client(server).get(forgot)).status).toBe(200)
  })

  it('a password set through a reset link is mailed to the owner', async () => {
    const owner = await signUp(server, 'pw-reset@example.com')
    const client = new Client(server)
    await client.submit('/forgot', { email: owner.email })
    const reset = linkIn((await mailAbout(smtp, owner.email, 'Reset your')).text, server.url, '/reset')
    await client.get(path(reset))
    expect((await client.post('/reset', { token: reset.searchParams.get('token')!, new_password: 'reset to something new' })).status).toBe(303)
    const mail = await mailAbout(smtp, owner.email, 'password was changed')
    expect(mail.text).toContain(`${server.url}/forgot`)
    expect(mail.text).not.toContain('reset to something new')
  })

  it('a takeover by email change is undone from the former address: the address comes back, every session ends, and the owner sets a new password', async () => {
    const owner = await signUp(server, 'undo-owner@example.com')
    const { attacker, undo } = await takeOver(owner.email, 'undo-attacker@evil.test')
    expect(await emailOf(owner.userId)).toBe('undo-attacker@evil.test')
    const notice = await mailAbout(smtp, owner.email, 'email address of your')
    expect(notice.subject).toBe(`The email address of your ${REALM_NAME} account was changed`)
    expect(notice.text).toContain('from undo-owner@example.com to undo-attacker@evil.test')
    expect(notice.text).toContain('The link works for 7 days, and only once.')
    // The attacker asks for a reset link at their address, to be used later.
    await new Client(server).submit('/forgot', { email: 'undo-attacker@evil.test' })
    const attackerReset = linkIn((await mailAbout(smtp, 'undo-attacker@evil.test', 'Reset your')).text, server.url, '/reset')

    // Opening the link (a mail scanner would too) changes nothing; it asks.
    const browser = new Client(server)
    for (let i = 0; i < 2; i++) {
      const page = await browser.get(path(undo))
      expect(page.status).toBe(200)
      expect(browser.browser.lastHtml).toContain('action="/email/undo"')
    }
    expect(await emailOf(owner.userId)).toBe('undo-attacker@evil.test')
    expect(await loggedIn(attacker)).toBe(true)

    const undone = await browser.post('/email/undo', { token: undo.searchParams.get('token')! })
    expect(undone.status).toBe(303)
    const reset = new URL(undone.headers.get('location')!, server.url)
    expect(reset.pathname).toBe('/reset')
    expect(await emailOf(owner.userId)).toBe(owner.email)
    expect(await loggedIn(attacker)).toBe(false)
    expect(await loggedIn(owner.client)).toBe(false)
    expect((await new Client(server).get(path(attackerReset))).status).toBe(410)

    // Straight into the new-password form, for the owner's address.
    expect((await browser.get(path(reset))).status).toBe(200)
    expect(browser.browser.lastHtml).toContain(`<strong>${owner.email}</strong>`)
    const done = await browser.post('/reset', { token: reset.searchParams.get('token')!, new_password: 'mine again for good' })
    expect(done.status).toBe(303)
    expect((await login(owner.email, 'mine again for good')).status).toBe(303)
    expect((await login(owner.email, PASSWORD)).status).toBe(401)
    expect((await login('undo-attacker@evil.test', PASSWORD)).status).toBe(401)
    const events = await server.booted.services.events.list({ realmId: server.booted.realm.id, userId: owner.userId, type: 'user.updated', limit: 5 })
    expect(events[0]!.data).toMatchObject({ changed: ['email'], email: owner.email, via: 'undo' })
  })

  it('an undo link can’t be used twice', async () => {
    const owner = await signUp(server, 'undo-twice@example.com')
    const { undo } = await takeOver(owner.email, 'undo-twice@evil.test')
    const browser = new Client(server)
    await browser.get(path(undo))
    expect((await browser.post('/email/undo', { token: undo.searchParams.get('token')! })).status).toBe(303)
    expect((await browser.post('/email/undo', { token: undo.searchParams.get('token')! })).status).toBe(410)
    expect((await new Client(server).get(path(undo))).status).toBe(410)
  })

  it('an undo link expires after 7 days', async () => {
    const owner = await signUp(server, 'undo-late@example.com')
    const { undo } = await takeOver(owner.email, 'undo-late@evil.test')
    const browser = new Client(server)
    await browser.get(path(undo))
    server.booted.services.clock = () => new Date(Date.now() + 7 * DAY + 60_000)
    expect((await new Client(server).get(path(undo))).status).toBe(410)
    expect((await browser.post('/email/undo', { token: undo.searchParams.get('token')! })).status).toBe(410)
    expect(await emailOf(owner.userId)).toBe('undo-late@evil.test')
    // Six days on, it still works.
    server.booted.services.clock = () => new Date(Date.now() + 6 * DAY)
    expect((await browser.post('/email/undo', { token: undo.searchParams.get('token')! })).status).toBe(303)
  })

  it('an undo link can’t be used from another realm’s host', async () => {
    await createRealm(server.booted.services, 'Other', 'http://login.undo-other.test', { kind: 'cli' })
    const owner = await signUp(server, 'undo-realm@example.com')
    const { undo } = await takeOver(owner.email, 'undo-realm@evil.test')
    const elsewhere = { 'x-forwarded-host': 'login.undo-other.test' }
    const browser = new Client(server)
    expect((await browser.get(path(undo), elsewhere)).status).toBe(410)
    await browser.get('/login', elsewhere)
    expect((await browser.post('/email/undo', { token: undo.searchParams.get('token')! }, elsewhere)).status).toBe(410)
    expect(await emailOf(owner.userId)).toBe('undo-realm@evil.test')
    expect((await new Client(server).get(path(undo))).status).toBe(200)
  })

  it('the attacker’s next password or email change doesn’t void the owner’s undo link', async () => {
    const owner = await signUp(server, 'undo-chain@example.com')
    const { attacker, undo } = await takeOver(owner.email, 'undo-chain@evil.test')
    await attacker.get('/profile')
    expect((await attacker.post('/profile/password', { current_password: PASSWORD, new_password: 'the attacker now' })).status).toBe(303)
    const browser = new Client(server)
    await browser.get(path(undo))
    expect((await browser.post('/email/undo', { token: undo.searchParams.get('token')! })).status).toBe(303)
    expect(await emailOf(owner.userId)).toBe(owner.email)
    expect(await loggedIn(attacker)).toBe(false)
  })

  it('the attacker’s own undo link, after a second change, doesn’t void the owner’s', async () => {
    const owner = await signUp(server, 'undo-second@example.com')
    const { attacker, undo } = await takeOver(owner.email, 'undo-second-a@evil.test')
    const theirs = await changeAddress(attacker, 'undo-second-a@evil.test', 'undo-second-b@evil.test')
    const browser = new Client(server)
    await browser.get(path(theirs))
    expect((await browser.post('/email/undo', { token: theirs.searchParams.get('token')! })).status).toBe(303)
    expect(await emailOf(owner.userId)).toBe('undo-second-a@evil.test')
    await browser.get(path(undo))
    expect((await browser.post('/email/undo', { token: undo.searchParams.get('token')! })).status).toBe(303)
    expect(await emailOf(owner.userId)).toBe(owner.email)
  })

  it('an undo whose address another account took meanwhile says so, and still ends every session', async () => {
    const owner = await signUp(server, 'undo-taken@example.com')
    const { attacker, undo } = await takeOver(owner.email, 'undo-taken@evil.test')
    await signUp(server, owner.email)
    const browser = new Client(server)
    await browser.get(path(undo))
    const res = await browser.post('/email/undo', { token: undo.searchParams.get('token')! })
    expect(res.status).toBe(409)
    expect(await res.text()).toContain('Another account now uses')
    expect(await emailOf(owner.userId)).toBe('undo-taken@evil.test')
    expect(await loggedIn(attacker)).toBe(false)
  })

  it('an admin’s change of address is mailed to the former address, without an undo link', async () => {
    const owner = await signUp(server, 'admin-changed@example.com')
    const admin = new Client(server)
    await admin.get('/admin/login')
    expect((await admin.post('/admin/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).status).toBe(303)
    const page = `/admin/realms/${server.booted.realm.id}/users/${owner.userId}`
    await admin.get(page)
    expect((await admin.post(`${page}/edit`, { email: 'admin-changed-new@example.com', first_name: 'Test', last_name: 'User', username: '', locale: '' })).status).toBe(303)
    const mail = await mailAbout(smtp, owner.email, 'email address of your')
    expect(mail.text).toContain('to admin-changed-new@example.com')
    expect(mail.text).toContain('An administrator')
    expect(mail.text).not.toContain('/email/undo')
  })
})
