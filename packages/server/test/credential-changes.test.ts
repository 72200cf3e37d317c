import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { back, PASSWORD, signUp, type Person } from './support/accounts.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { linkIn, MailCatcher } from './support/mail-catcher.js'
import { mailAbout } from './support/mails.js'
import { startServer, type TestServer } from './support/server.js'

const REALM_NAME = 'Credentials Realm'
const ADMIN_EMAIL = 'credentials-admin@example.com'
const ADMIN_PASSWORD = 'admin password 123'

/**
 * Items 1 and 2 of issue 10: a new password or a completed email change voids every one-time link the user has
 * and ends their other sessions, so whoever held the old credentials can't come back through a link.
 */
describe.each(DIALECTS)('links and sessions die with a change of credentials on %s', (dialect) => {
  let server: TestServer
  let smtp: MailCatcher

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
  afterAll(async () => {
    await server.close()
    await smtp.close()
  })

  const emailOf = async (userId: string) => (await server.booted.services.users.byId(server.booted.realm, userId))!.email
  const path = (link: URL) => link.pathname + link.search

  /** Logs in from a browser of its own (the attacker's, with the phished password). */
  async function loginElsewhere(email: string, password = PASSWORD): Promise<Client> {
    const client = new Client(server)
    await client.get(`/login?${back}`)
    expect((await client.post(`/login?${back}`, { email, password })).status).toBe(303)
    return client
  }

  /** Asks for an email change to `to` from `client`'s session; returns the /verify link mailed to `to`. */
  async function requestChange(client: Client, to: string): Promise<URL> {
    await client.get('/profile')
    expect((await client.post('/profile/email', { email: to, email_password: PASSWORD })).status).toBe(303)
    return linkIn((await mailAbout(smtp, to, 'Confirm your new email address')).text, server.url, '/verify')
  }

  async function changePassword(person: Person, next: string): Promise<void> {
    await person.client.get('/profile')
    expect((await person.client.post('/profile/password', { current_password: PASSWORD, new_password: next })).status).toBe(303)
  }

  /** Asks for a reset link for `email` and returns it. */
  async function resetLink(email: string): Promise<URL> {
    const before = smtp.to(email).length
    const client = new Client(server)
    await client.get('/forgot')
    expect((await client.post('/forgot', { email })).status).toBe(200)
    return linkIn((await smtp.waitFor(email, before + 1)).text, server.url, '/reset')
  }

  /** True when the client's browser still holds a live LoginRocket session. */
  const loggedIn = async (client: Client) => (await client.get('/profile')).status === 200

  it('a pending email change dies when the owner changes their password', async () => {
    const owner = await signUp(server, 'owner-1@example.com')
    const attacker = await loginElsewhere(owner.email)
    const link = await requestChange(attacker, 'attacker-1@evil.test')

    // Warned by the notice mail, the owner changes the password.
    await changePassword(owner, 'the owner took it back')
    expect((await new Client(server).get(path(link))).status).toBe(410)
    expect(await emailOf(owner.userId)).toBe(owner.email)
    // The attacker's session ended; the owner's stays.
    expect(await loggedIn(attacker)).toBe(false)
    expect(await loggedIn(owner.client)).toBe(true)
    // Nor can the attacker get a reset link at their address: the account is not theirs.
    expect((await new Client(server).submit('/forgot', { email: 'attacker-1@evil.test' })).status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(smtp.to('attacker-1@evil.test').filter((mail) => mail.subject.includes('Reset'))).toEqual([])
  })

  it('a pending email change dies when the owner resets their password', async () => {
    const owner = await signUp(server, 'owner-2@example.com')
    const attacker = await loginElsewhere(owner.email)
    const link = await requestChange(attacker, 'attacker-2@evil.test')

    const reset = await resetLink(owner.email)
    const browser = new Client(server)
    await browser.get(path(reset))
    expect((await browser.post('/reset', { token: reset.searchParams.get('token')!, new_password: 'the owner reset it' })).status).toBe(303)

    expect((await new Client(server).get(path(link))).status).toBe(410)
    expect(await emailOf(owner.userId)).toBe(owner.email)
    expect(await loggedIn(attacker)).toBe(false)
  })

  it('a reset link mailed before a password change no longer works', async () => {
    const owner = await signUp(server, 'owner-3@example.com')
    const reset = await resetLink(owner.email)
    await changePassword(owner, 'a newer password here')
    const res = await new Client(server).get(path(reset))
    expect(res.status).toBe(410)
  })

  it('a reset link mailed before an email change completes no longer works, and the other sessions end', async () => {
    const owner = await signUp(server, 'owner-4@example.com')
    const elsewhere = await loginElsewhere(owner.email)
    const reset = await resetLink(owner.email)
    const verify = await requestChange(owner.client, 'owner-4-new@example.com')

    // Opened in the owner's logged-in browser: that session stays, the other one ends.
    expect((await owner.client.get(path(verify))).status).toBe(200)
    expect(await emailOf(owner.userId)).toBe('owner-4-new@example.com')
    expect((await new Client(server).get(path(reset))).status).toBe(410)
    expect(await loggedIn(owner.client)).toBe(true)
    expect(await loggedIn(elsewhere)).toBe(false)
    const renewed = await fetch(`${server.url}/connect/renew`, { method: 'POST', headers: { authorization: `Bearer ${owner.token}` } })
    expect(renewed.status).toBe(200)
  })

  it('a pending email change and a reset link die when an admin changes the email, and every session ends', async () => {
    const owner = await signUp(server, 'owner-5@example.com')
    const attacker = await loginElsewhere(owner.email)
    const verify = await requestChange(attacker, 'attacker-5@evil.test')
    const reset = await resetLink(owner.email)

    const admin = new Client(server)
    await admin.get('/admin/login')
    expect((await admin.post('/admin/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).status).toBe(303)
    const page = `/admin/realms/${server.booted.realm.id}/users/${owner.userId}`
    await admin.get(page)
    expect((await admin.post(`${page}/edit`, { email: 'owner-5-new@example.com', first_name: 'Test', last_name: 'User', username: '', locale: '' })).status).toBe(303)

    expect((await new Client(server).get(path(verify))).status).toBe(410)
    expect((await new Client(server).get(path(reset))).status).toBe(410)
    expect(await emailOf(owner.userId)).toBe('owner-5-new@example.com')
    expect(await loggedIn(attacker)).toBe(false)
    expect(await loggedIn(owner.client)).toBe(false)
    const ended = await server.booted.services.events.list({ realmId: server.booted.realm.id, userId: owner.userId, type: 'session.deleted', limit: 10 })
    expect(ended).toHaveLength(2)
    expect(ended[0]!.data).toEqual({ reason: 'email_changed' })
  })

  it('a new password voids a pending verification link of the signup address too', async () => {
    const owner = await signUp(server, 'owner-6@example.com')
    const { services } = server.booted
    const secret = await services.links.create('email_verification', { realmId: server.booted.realm.id, userId: owner.userId, email: owner.email }, new Date())
    await changePassword(owner, 'yet another password')
    expect((await new Client(server).get(`/verify?token=${secret}`)).status).toBe(410)
  })
})
