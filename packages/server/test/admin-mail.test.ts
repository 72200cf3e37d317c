import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StoredMail } from '../src/domain/mail.js'
import type { Realm } from '../src/domain/realm.js'
import { createRealm } from '../src/services/realms.js'
import { APP, signUp } from './support/accounts.js'
import { Browser } from './support/browser.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { MailCatcher, settle } from './support/mail-catcher.js'
import { freePort, startServer, type TestServer } from './support/server.js'

const EMAIL = 'mail-admin@example.com'
const PASSWORD = 'admin password 123'

async function adminOf(server: TestServer): Promise<Client> {
  // A second call finds the admin there already, which is fine.
  await server.booted.services.admins.create(EMAIL, PASSWORD, null, new Date())
  const client = new Client(server)
  await client.get('/admin/login')
  expect((await client.post('/admin/login', { email: EMAIL, password: PASSWORD })).status).toBe(303)
  return client
}

/** The mail the server recorded for `to` (it mails in the background), once `done` says it is finished. */
async function recorded(server: TestServer, to: string, done: (mail: StoredMail) => boolean = () => true): Promise<StoredMail> {
  const deadline = Date.now() + 5000
  for (;;) {
    const mail = (await server.booted.services.mails.ofRealm(server.booted.realm.id, { limit: 20 })).find((m) => m.to === to && done(m))
    if (mail) return mail
    if (Date.now() > deadline) throw new Error(`no finished mail to ${to}`)
    await settle(50)
  }
}

/** The subjects linked from a mail list page, in order. */
const subjectsIn = (html: string) => [...html.matchAll(/\/mail\/\d+">([^<]*)<\/a>/g)].map((m) => m[1]!)

const unescape = (href: string) => href.replace(/&amp;/g, '&')

describe.each(DIALECTS)('admin Mail page without SMTP (the outbox) on %s', (dialect) => {
  let server: TestServer
  let other: Realm

  beforeAll(async () => {
    server = await startServer({ dialect, trustProxy: true, settings: [`login_urls=${APP}`] })
    other = await createRealm(server.booted.services, 'Paged', 'http://login.paged.test', { kind: 'cli' })
  })
  afterAll(() => server.close())

  const realmId = () => server.booted.realm.id

  it('lists a signup’s verification mail in the outbox and shows it in full, with a link that verifies the address', async () => {
    const email = 'outbox-reader@example.com'
    const person = await signUp(server, email)
    const mail = await recorded(server, email)
    const client = await adminOf(server)

    expect((await client.get(`/admin/realms/${realmId()}/mail`)).status).toBe(200)
    let html = client.browser.lastHtml
    expect(html).toContain('<title>Demo: outbox · Airlock admin</title>')
    expect(html).toContain('mails are stored here, not sent')
    expect(html).not.toContain('delivery log')
    expect(html).toContain(email)
    expect(html).toContain(`<a href="/admin/realms/${realmId()}/mail/${mail.id}">Confirm your email address for Demo</a>`)
    expect(html).toContain('Stored, not sent')
    expect(html).toContain(`href="/admin/realms/${realmId()}/mail" aria-current="page"`)

    expect((await client.get(`/admin/realms/${realmId()}/mail/${mail.id}`)).status).toBe(200)
    html = client.browser.lastHtml
    expect(html).toContain('<title>Confirm your email address for Demo · Airlock admin</title>')
    expect(html).toContain(`Please confirm that ${email} is your email address for Demo`)
    const href = /<pre class="mail-text">[\s\S]*?<a href="([^"]+)"[^>]*>([^<]+)<\/a>/.exec(html)
    expect(href?.[1]).toMatch(new RegExp(`^${server.url}/verify\\?token=`))
    expect(unescape(href![1]!)).toBe(unescape(href![2]!))

    expect(await server.booted.services.users.byId(server.booted.realm, person.userId)).toMatchObject({ emailVerifiedAt: null })
    const visitor = new Browser(server.url)
    expect((await visitor.get(unescape(href![1]!))).status).toBe(200)
    expect((await server.booted.services.users.byId(server.booted.realm, person.userId))?.emailVerifiedAt).toBeInstanceOf(Date)
  })

  it('pages a realm’s mails newest first, 50 a page, with an Older link', async () => {
    const { mails } = server.booted.services
    const ids: number[] = []
    for (let n = 1; n <= 60; n++) {
      ids.push(await mails.insert({ realmId: other.id, to: `paged${n}@example.com`, subject: `Paged ${n}`, text: 'Hello', createdAt: new Date(), sentAt: null, error: null }))
    }
    const client = await adminOf(server)
    expect((await client.get(`/admin/realms/${other.id}/mail`)).status).toBe(200)
    let html = client.browser.lastHtml
    expect(html).toContain('<title>Paged: outbox · Airlock admin</title>')
    expect(subjectsIn(html)).toEqual(Array.from({ length: 50 }, (_, i) => `Paged ${60 - i}`))
    const older = `/admin/realms/${other.id}/mail?before=${ids[10]}`
    expect(html).toContain(`<a href="${older}">Older</a>`)
    expect(html).not.toContain('>Newest<')

    expect((await client.get(older)).status).toBe(200)
    html = client.browser.lastHtml
    expect(subjectsIn(html)).toEqual(Array.from({ length: 10 }, (_, i) => `Paged ${10 - i}`))
    expect(html).not.toContain('>Older<')
    expect(html).toContain(`<a href="/admin/realms/${other.id}/mail">Newest</a>`)

    // The default realm's list has none of them.
    await client.get(`/admin/realms/${realmId()}/mail`)
    expect(client.browser.lastHtml).not.toContain('Paged ')
  })

  it('does not show another realm’s mail, an unknown mail or realm, or a page that does not exist', async () => {
    const { mails } = server.booted.services
    const id = await mails.insert({ realmId: other.id, to: 'elsewhere@example.com', subject: 'Elsewhere', text: 'Hi', createdAt: new Date(), sentAt: null, error: null })
    const client = await adminOf(server)
    expect((await client.get(`/admin/realms/${other.id}/mail/${id}`)).status).toBe(200)
    expect((await client.get(`/admin/realms/${realmId()}/mail/${id}`)).status).toBe(404)
    expect(client.browser.lastHtml).not.toContain('Elsewhere')
    for (const bad of ['abc', '99999999999', '2147483648', '-1', '1.5', 'x'.repeat(5000)]) {
      expect((await client.get(`/admin/realms/${other.id}/mail/${bad}`)).status, bad).toBe(404)
    }
    expect((await client.get(`/admin/realms/rl_nope/mail`)).status).toBe(404)
    expect((await client.get(`/admin/realms/rl_nope/mail/${id}`)).status).toBe(404)
    expect((await client.get(`/admin/realms/${other.id}/mail?before=abc`)).status).toBe(400)
    expect((await client.get(`/admin/realms/${other.id}/mail?before=99999999999`)).status).toBe(400)
    // A `before` past every mail is just an empty page.
    expect((await client.get(`/admin/realms/${other.id}/mail?before=1`)).status).toBe(200)
    expect(client.browser.lastHtml).toContain('No mails yet.')
  })

  it('shows a subject and a text containing <script> as text', async () => {
    const id = await server.booted.services.mails.insert({
      realmId: other.id,
      to: 'xss@example.com',
      subject: '<script>alert(1)</script> subject',
      text: 'Hello <script>alert(2)</script>\nhttps://example.com/x?a=1&b=2"><script>alert(3)</script>',
      createdAt: new Date(),
      sentAt: null,
      error: null,
    })
    const client = await adminOf(server)
    await client.get(`/admin/realms/${other.id}/mail`)
    let html = client.browser.lastHtml
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; subject')
    expect(html).not.toContain('<script>alert')

    expect((await client.get(`/admin/realms/${other.id}/mail/${id}`)).status).toBe(200)
    html = client.browser.lastHtml
    expect(html).toContain('<title>&lt;script&gt;alert(1)&lt;/script&gt; subject · Airlock admin</title>')
    expect(html).toContain('Hello &lt;script&gt;alert(2)&lt;/script&gt;')
    expect(html).toContain('<a href="https://example.com/x?a=1&amp;b=2" rel="noreferrer">https://example.com/x?a=1&amp;b=2</a>&quot;&gt;&lt;script&gt;alert(3)')
    expect(html).not.toContain('<script>alert')
  })

  it('sends a browser without an admin session to log in', async () => {
    const visitor = new Browser(server.url)
    for (const path of [`/admin/realms/${realmId()}/mail`, `/admin/realms/${realmId()}/mail/1`]) {
      const res = await visitor.get(path)
      expect(res.status, path).toBe(303)
      expect(res.headers.get('location')).toBe('/admin/login')
    }
  })
})

describe.each(DIALECTS)('admin Mail page with SMTP (the delivery log) on %s', (dialect) => {
  let smtp: MailCatcher
  let server: TestServer
  let failing: TestServer

  beforeAll(async () => {
    smtp = await MailCatcher.start()
    server = await startServer({ dialect, trustProxy: true, settings: [`login_urls=${APP}`], env: { AIRLOCK_SMTP_URL: smtp.url } })
    // Nothing listens there: every delivery is refused.
    failing = await startServer({ dialect, trustProxy: true, settings: [`login_urls=${APP}`], env: { AIRLOCK_SMTP_URL: `smtp://127.0.0.1:${await freePort()}` } })
  })
  afterAll(async () => {
    await server.close()
    await failing.close()
    await smtp.close()
  })

  it('lists the mails the SMTP server took as sent', async () => {
    const email = 'delivered@example.com'
    await signUp(server, email)
    await smtp.waitFor(email)
    const mail = await recorded(server, email, (m) => m.sentAt !== null)
    const client = await adminOf(server)
    const realmId = server.booted.realm.id
    expect((await client.get(`/admin/realms/${realmId}/mail`)).status).toBe(200)
    let html = client.browser.lastHtml
    expect(html).toContain('<title>Demo: delivery log · Airlock admin</title>')
    expect(html).not.toContain('not sent')
    const row = new RegExp(`<tr><td data-label="Time">.*?${email}.*?/mail/${mail.id}">Confirm your email address for Demo</a></td><td data-label="Status">Sent</td></tr>`)
    expect(html).toMatch(row)

    expect((await client.get(`/admin/realms/${realmId}/mail/${mail.id}`)).status).toBe(200)
    html = client.browser.lastHtml
    expect(html).toMatch(/<dt>Status<\/dt><dd>Sent <time/)
    expect(html).toContain('Back to the delivery log')
    // The verification link is kept without its secret, and not as a link.
    expect(html).toContain('/verify?token=[hidden]')
    expect(html).not.toMatch(/href="[^"]*\[hidden\]/)
  })

  it('lists a mail the SMTP server refused as failed, with the error', async () => {
    const email = 'refused@example.com'
    await signUp(failing, email)
    const mail = await recorded(failing, email, (m) => m.error !== null)
    expect(mail.sentAt).toBeNull()
    const client = await adminOf(failing)
    const realmId = failing.booted.realm.id
    expect((await client.get(`/admin/realms/${realmId}/mail`)).status).toBe(200)
    let html = client.browser.lastHtml
    expect(html).toContain('<title>Demo: delivery log · Airlock admin</title>')
    expect(html).toMatch(new RegExp(`${email}.*?<td data-label="Status"><strong class="failed">Failed</strong><span class="mail-error">: [^<]*ECONNREFUSED`))

    expect((await client.get(`/admin/realms/${realmId}/mail/${mail.id}`)).status).toBe(200)
    html = client.browser.lastHtml
    expect(html).toMatch(/<dt>Error<\/dt><dd class="mail-error">[^<]*ECONNREFUSED/)
  })
})
