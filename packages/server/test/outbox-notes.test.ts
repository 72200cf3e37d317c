// The hosted pages that say "we sent you a mail" also say where it is while the server has no SMTP server (the
// admin portal's outbox), and say nothing of the kind when one delivers the mail.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { APP, PASSWORD, back, confirmEmail, signUp } from './support/accounts.js'
import { Client } from './support/client.js'
import { MailCatcher, settle } from './support/mail-catcher.js'
import { startServer, type TestServer } from './support/server.js'

const SETTINGS = [`login_urls=${APP}`, 'email_verification=optional', 'org_mode=multi_user', 'signup=open']

/** The link of the page's outbox note, or null when the page has none. */
const outboxNoteIn = (html: string) => /<p class="outbox">This server has no mail server set up yet: the mail is in the admin portal’s <a href="([^"]+)">outbox<\/a>/.exec(html)?.[1] ?? null

describe.each(['outbox', 'SMTP'] as const)('"check your email" pages with mail going to the %s', (mode) => {
  let server: TestServer
  let smtp: MailCatcher | undefined

  beforeAll(async () => {
    smtp = mode === 'SMTP' ? await MailCatcher.start() : undefined
    server = await startServer({ dialect: 'sqlite', trustProxy: true, env: smtp ? { AIRLOCK_SMTP_URL: smtp.url } : {}, settings: SETTINGS })
  })
  afterAll(async () => {
    await server?.close()
    await smtp?.close()
  })
  beforeEach(() => server.settings(...SETTINGS))

  let n = 0
  const email = (who: string) => `${who}-${++n}@example.com`

  /** The note's link in outbox mode is the realm's Mail page in the admin portal; with SMTP there is no note at all. */
  function expectNote(html: string, what: string) {
    if (mode === 'outbox') {
      expect(outboxNoteIn(html), what).toBe(`${server.url}/admin/realms/${server.booted.realm.id}/mail`)
    } else {
      expect(outboxNoteIn(html), what).toBeNull()
      expect(html, what).not.toContain('outbox')
    }
  }

  /** Follows the answer's redirect on the server, as a browser would. */
  async function landing(client: Client, res: Response): Promise<string> {
    expect(res.status).toBe(303)
    await client.get(res.headers.get('location')!)
    return client.browser.lastHtml
  }

  it('signup, login and "send the link again" where a confirmed address is required', async () => {
    await server.settings('email_verification=required')
    const address = email('unconfirmed')
    const client = new Client(server)
    const signup = await client.submit(`/signup?${back}`, { email: address, password: PASSWORD, first_name: 'Una', last_name: 'Confirmed' })
    expect(signup.status).toBe(200)
    expect(client.browser.lastHtml).toContain('Check your email')
    expectNote(client.browser.lastHtml, 'after signup')

    const login = await new Client(server).submit(`/login?${back}`, { email: address, password: PASSWORD })
    expect(login.status).toBe(200)
    expect(login.headers.get('content-type')).toContain('text/html')
    const loginHtml = await login.text()
    expect(loginHtml).toContain('isn’t confirmed yet')
    expectNote(loginHtml, 'at login')

    const resent = await client.post('/verify/resend', { email: address })
    expect(resent.status).toBe(200)
    expect(client.browser.lastHtml).toContain('we’ve sent a new link')
    expectNote(client.browser.lastHtml, 'after resend')
  })

  it('"forgot password", the same for an address without an account', async () => {
    const person = await signUp(server, email('forgetful'))
    for (const address of [person.email, email('nobody')]) {
      const client = new Client(server)
      const sent = await client.submit('/forgot', { email: address })
      expect(sent.status).toBe(200)
      expect(client.browser.lastHtml).toContain('If an account exists for that address')
      expectNote(client.browser.lastHtml, address)
    }
  })

  it('a change of email address on the profile, and no other saved change', async () => {
    const person = await signUp(server, email('mover'))
    await person.client.get('/profile')
    const html = await landing(person.client, await person.client.post('/profile/email', { email: email('moved'), email_password: PASSWORD }))
    expect(html).toContain('We sent a link to your new email address.')
    expectNote(html, 'email change')

    await person.client.get('/profile')
    const named = await landing(person.client, await person.client.post('/profile/name', { first_name: 'New', last_name: 'Name' }))
    expect(named).toContain('Your name was saved.')
    expect(outboxNoteIn(named)).toBeNull()
  })

  it('an invitation sent and sent again, and no other change to the account', async () => {
    const owner = await signUp(server, email('owner'), { account_name: 'Notes Inc' })
    await confirmEmail(server, owner)
    const page = `/accounts/${owner.orgId}`
    await owner.client.get(page)
    const invited = await landing(owner.client, await owner.client.post(`${page}/invitations`, { email: email('invitee') }))
    expect(invited).toContain('The invitation was sent.')
    expectNote(invited, 'invited')

    const invitation = await server.booted.services.db.kysely.selectFrom('invitations').select('id').where('org_id', '=', owner.orgId).executeTakeFirstOrThrow()
    const resent = await landing(owner.client, await owner.client.post(`${page}/invitations/${invitation.id}/resend`, {}))
    expect(resent).toContain('The invitation was sent again')
    expectNote(resent, 'resent')

    const renamed = await landing(owner.client, await owner.client.post(`${page}/name`, { account_name: 'Notes Ltd' }))
    expect(renamed).toContain('The account’s name was saved.')
    expect(outboxNoteIn(renamed)).toBeNull()
  })

  if (mode === 'outbox') it('links to the admin portal page where the mail is, for an admin', async () => {
    const address = email('reader')
    const client = new Client(server)
    await client.submit('/forgot', { email: (await signUp(server, address)).email })
    const link = outboxNoteIn(client.browser.lastHtml)!

    // Anyone else is sent to log in as an admin: the note reveals no mail.
    const anonymous = await new Client(server).get(link)
    expect(anonymous.status).toBe(303)
    expect(anonymous.headers.get('location')).toBe('/admin/login')

    await server.booted.services.admins.create('outbox-admin@example.com', 'admin password 123', null, new Date())
    const admin = new Client(server)
    await admin.submit('/admin/login', { email: 'outbox-admin@example.com', password: 'admin password 123' })
    // The reset mail is stored after the answer.
    const deadline = Date.now() + 5000
    for (;;) {
      expect((await admin.get(link)).status).toBe(200)
      if (admin.browser.lastHtml.includes('Reset your Demo password') || Date.now() > deadline) break
      await settle(50)
    }
    expect(admin.browser.lastHtml).toContain('Reset your Demo password')
    expect(admin.browser.lastHtml).toContain(address)
  })
})
