import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { claimsOf, tokenFrom } from './support/browser.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { MailCatcher, settle } from './support/mail-catcher.js'
import { startServer, type TestServer } from './support/server.js'

const APP = 'http://localhost:3000'
const PASSWORD = 'correct horse battery'
const VICTIM = 'victim@example.com'

describe.each(DIALECTS)('bad input on %s', (dialect) => {
  let server: TestServer
  let smtp: MailCatcher

  beforeAll(async () => {
    smtp = await MailCatcher.start()
    server = await startServer({
      dialect,
      trustProxy: true,
      env: { AIRLOCK_SMTP_URL: smtp.url },
      settings: [`login_urls=${APP}`, 'email_verification=optional'],
    })
    expect((await new Client(server).submit('/signup', { email: VICTIM, password: PASSWORD })).status).toBe(303)
    await smtp.waitFor(VICTIM)
  })
  afterAll(async () => {
    await server.close()
    await smtp.close()
  })

  /** Rows in every table a form can change, and mails sent: what "changes nothing" is checked against. */
  async function snapshot() {
    const db = server.booted.services.db.kysely
    const count = async (table: 'users' | 'sessions' | 'one_time_tokens' | 'mails') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
    await settle(100)
    const victim = await server.booted.services.users.byEmail(server.booted.realm, VICTIM)
    return {
      users: await count('users'),
      sessions: await count('sessions'),
      links: await count('one_time_tokens'),
      outbox: await count('mails'),
      smtp: smtp.mails.length,
      victim: victim && { passwordHash: victim.passwordHash, email: victim.email, updatedAt: victim.updatedAt.getTime() },
    }
  }

  /** Runs `attempt`, which must answer with one of `statuses` (never a 5xx) and change nothing stored. */
  async function changesNothing(statuses: number[], attempt: () => Promise<Response>): Promise<Response> {
    const before = await snapshot()
    const res = await attempt()
    expect(statuses).toContain(res.status)
    expect(res.headers.get('location')).toBeNull()
    expect(res.headers.getSetCookie().some((line) => line.startsWith('lr_session='))).toBe(false)
    expect(await snapshot()).toEqual(before)
    return res
  }

  /** Posts a raw body with a browser's cookies and the CSRF token of its last page. */
  async function postRaw(client: Client, path: string, body: string | FormData, headers: Record<string, string>) {
    return fetch(`${server.url}${path}`, {
      method: 'POST',
      body,
      headers: { cookie: client.cookieHeader, 'x-forwarded-for': client.ip, ...headers },
      redirect: 'manual',
    })
  }

  const form = (fields: [string, string][]) => fields.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')
  const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

  async function page(path: string) {
    const client = new Client(server)
    expect((await client.get(path)).status).toBe(200)
    return client
  }

  it('a 1 MB password: refused at login and signup, never hashed or stored', async () => {
    const huge = 'p'.repeat(1024 * 1024)
    await changesNothing([401], async () => (await page('/login')).post('/login', { email: VICTIM, password: huge }))
    const res = await changesNothing([422], async () => (await page('/signup')).post('/signup', { email: 'huge@example.com', password: huge }))
    expect(await res.text()).toContain('Use at most 256 characters')
  })

  it('a 5,000-character email: refused everywhere', async () => {
    const long = `${'a'.repeat(5000)}@example.com`
    await changesNothing([401], async () => (await page('/login')).post('/login', { email: long, password: PASSWORD }))
    await changesNothing([422], async () => (await page('/signup')).post('/signup', { email: long, password: PASSWORD }))
    await changesNothing([422], async () => (await page('/forgot')).post('/forgot', { email: long }))
    await changesNothing([200], async () => (await page('/forgot')).post('/verify/resend', { email: long }))
  })

  it('line breaks in an email (mail header injection): refused, no mail goes anywhere', async () => {
    for (const email of [`${VICTIM}\r\nBcc: attacker@evil.example`, `${VICTIM}\nBcc: attacker@evil.example`, `attacker@evil.example\r\nTo: ${VICTIM}`, `${VICTIM}\u2028x`]) {
      await changesNothing([422], async () => (await page('/forgot')).post('/forgot', { email }))
      await changesNothing([422], async () => (await page('/signup')).post('/signup', { email, password: PASSWORD }))
      await changesNothing([401], async () => (await page('/login')).post('/login', { email, password: PASSWORD }))
      await changesNothing([200], async () => (await page('/forgot')).post('/verify/resend', { email }))
    }
    expect(smtp.to('attacker@evil.example')).toHaveLength(0)
  })

  it('NUL bytes: refused at the door (400), never a database error', async () => {
    const nul = 'vic\u0000tim@example.com'
    await changesNothing([400], async () => (await page('/login')).post('/login', { email: nul, password: PASSWORD }))
    await changesNothing([400], async () => (await page('/login')).post('/login', { email: VICTIM, password: `${PASSWORD}\u0000` }))
    await changesNothing([400], async () => (await page('/signup')).post('/signup', { email: nul, password: PASSWORD }))
    await changesNothing([400], async () => (await page('/signup')).post('/signup', { email: 'nul@example.com', password: PASSWORD, first_name: 'A\u0000' }))
    await changesNothing([400], async () => (await page('/forgot')).post('/forgot', { email: nul }))
    await changesNothing([400], async () => (await page('/forgot')).post('/verify/resend', { email: nul }))
    await changesNothing([400], async () => (await page('/login')).post('/login', { email: VICTIM, password: PASSWORD, 'na\u0000me': 'x' }))
    await changesNothing([400], async () => (await page('/login')).post(`/login?redirect_uri=${encodeURIComponent(`${APP}/\u0000`)}`, { email: VICTIM, password: PASSWORD }))
    const client = await page('/login')
    expect((await client.get('/login?account=%00&prompt=%00')).status).toBe(200)
    expect((await client.get('/reset?token=%00')).status).toBe(410)
    expect((await client.get('/verify?token=%00')).status).toBe(410)
  })

  it('Unicode look-alikes (fullwidth letters, combining accents) are the same address, not a second account', async () => {
    const composed = 'rené@example.com'
    const signedUp = await new Client(server).submit(`/signup?redirect_uri=${encodeURIComponent(APP)}`, { email: composed, password: PASSWORD })
    const userId = claimsOf(tokenFrom(signedUp)).sub
    await smtp.waitFor(composed) // its verification mail, sent in the background
    for (const email of ['rene\u0301@example.com', 'ｒｅｎé@example.com', 'RENÉ@EXAMPLE.COM', 'ｖｉｃｔｉｍ@example.com']) {
      const res = await changesNothing([422], async () => (await page('/signup')).post('/signup', { email, password: PASSWORD }))
      expect(await res.text(), email).toContain('An account with this email already exists')
    }
    const login = await new Client(server).submit(`/login?redirect_uri=${encodeURIComponent(APP)}`, { email: 'ｒｅｎｅ\u0301@example.com', password: PASSWORD })
    expect(claimsOf(tokenFrom(login))).toMatchObject({ sub: userId, email: composed })
  })

  it('a field sent twice is refused, not silently resolved', async () => {
    const client = await page('/signup')
    await changesNothing([400], () =>
      postRaw(client, '/signup', form([['csrf', client.csrf], ['email', 'first@example.com'], ['email', 'second@example.com'], ['password', PASSWORD]]), FORM),
    )
    await changesNothing([400], () =>
      postRaw(client, '/login', form([['csrf', client.csrf], ['email', 'nobody@example.com'], ['email', VICTIM], ['password', PASSWORD]]), FORM),
    )
    await changesNothing([400], () =>
      postRaw(client, '/login', form([['csrf', client.csrf], ['email', VICTIM], ['password', PASSWORD], ['redirect_uri', APP], ['redirect_uri', 'https://evil.example/']]), FORM),
    )
    await changesNothing([400], () => postRaw(client, '/forgot', form([['csrf', client.csrf], ['email', VICTIM], ['email', 'attacker@evil.example']]), FORM))
  })

  it('a JSON body is not a form: no CSRF token, nothing done', async () => {
    const client = await page('/signup')
    const json = { 'content-type': 'application/json' }
    await changesNothing([403], () => postRaw(client, '/signup', JSON.stringify({ csrf: client.csrf, email: 'json@example.com', password: PASSWORD }), json))
    await changesNothing([403], () => postRaw(client, '/login', JSON.stringify({ csrf: client.csrf, email: VICTIM, password: PASSWORD }), json))
    await changesNothing([403], () => postRaw(client, '/login', `csrf=${client.csrf}&email=${VICTIM}&password=x`, { 'content-type': 'text/plain' }))
  })

  it('multipart: read like a form, files are never text, and the CSRF token is still needed', async () => {
    const client = await page('/signup')
    const multipart = (fields: Record<string, string | Blob>) => {
      const data = new FormData()
      for (const [k, v] of Object.entries(fields)) data.append(k, v)
      return data
    }
    await changesNothing([403], () => postRaw(client, '/signup', multipart({ email: 'multi@example.com', password: PASSWORD }), {}))
    await changesNothing([422], () =>
      postRaw(client, '/signup', multipart({ csrf: client.csrf, email: new Blob(['file@example.com']), password: PASSWORD }), {}),
    )
    await changesNothing([401], () => postRaw(client, '/login', multipart({ csrf: client.csrf, email: VICTIM, password: new Blob([PASSWORD]) }), {}))
    const res = await postRaw(client, `/login?redirect_uri=${encodeURIComponent(APP)}`, multipart({ csrf: client.csrf, email: VICTIM, password: PASSWORD }), {})
    expect(res.status).toBe(303)
  })

  it('a body over 2 MB: a clear 4xx page, whether its length is declared or streamed', async () => {
    const client = await page('/signup')
    const big = Buffer.from(form([['csrf', client.csrf], ['email', 'big@example.com'], ['password', PASSWORD], ['first_name', 'x'.repeat(2 * 1024 * 1024)]]))
    const headers = { ...FORM, cookie: client.cookieHeader, 'x-forwarded-for': client.ip }
    for (const declared of [true, false]) {
      const res = await changesNothing([400, 413], () => sendLarge('/signup', declared ? { ...headers, 'content-length': String(big.length) } : headers, big))
      expect(res.headers.get('content-type')).toMatch(/^text\/(html|plain)/)
      expect(await res.text()).toContain('That form was too large to send.')
    }
  })

  /**
   * Sends a body over its own connection, declared (Content-Length) or chunked. The server answers as soon as
   * the body passes the limit and may close the connection while we still write: only its answer matters.
   */
  function sendLarge(path: string, headers: Record<string, string>, body: Buffer): Promise<Response> {
    return new Promise((resolve, reject) => {
      const req = request(`${server.url}${path}`, { method: 'POST', headers, agent: false }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          const answer = new Headers()
          for (const [name, value] of Object.entries(res.headers)) for (const v of [value ?? []].flat()) answer.append(name, v)
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode!, headers: answer }))
        })
      })
      req.on('error', () => {}) // EPIPE/ECONNRESET once the server has answered
      setTimeout(() => reject(new Error('no answer to a large body')), 10_000).unref()
      for (let at = 0; at < body.length; at += 64 * 1024) req.write(body.subarray(at, at + 64 * 1024))
      req.end()
    })
  }

  it('forms without the right CSRF token or from another origin: 403, nothing done', async () => {
    const mine = await page('/signup')
    const theirs = await page('/signup')
    const fields = { email: 'csrf@example.com', password: PASSWORD }
    await changesNothing([403], () => postRaw(mine, '/signup', form(Object.entries(fields)), FORM))
    await changesNothing([403], () => mine.post('/signup', { ...fields, csrf: '' }))
    await changesNothing([403], () => mine.post('/signup', { ...fields, csrf: theirs.csrf }))
    await changesNothing([403], () => mine.post('/signup', { ...fields, csrf: `${mine.csrf}x` }))
    await changesNothing([403], () => mine.post('/signup', fields, { origin: 'https://evil.example' }))
    await changesNothing([403], () => mine.post('/signup', fields, { origin: 'null' }))
    await changesNothing([403], () => mine.post('/signup', fields, { origin: `${server.url}.evil.example` }))
    // A token is bound to its browser's cookie: without the cookie, the token alone is worth nothing.
    await changesNothing([403], () => fetch(`${server.url}/signup`, { method: 'POST', headers: FORM, body: form([['csrf', mine.csrf], ...Object.entries(fields)]) }))
    await changesNothing([403], () => mine.post('/login', { email: VICTIM, password: PASSWORD }, { origin: 'https://evil.example' }))
    expect((await mine.post('/signup', fields, { origin: server.url })).status).toBe(303)
  })

  it('garbage cookies are ignored, never a 500', async () => {
    for (const cookie of [`lr_session=${'x'.repeat(5000)}`, 'lr_session=%E0%A4%A; lr_csrf=%', `lr_csrf=${'y'.repeat(500)}`, 'lr_session="; lr_csrf=;;;']) {
      const res = await fetch(`${server.url}/login`, { headers: { cookie } })
      expect(res.status, cookie).toBe(200)
      const post = await fetch(`${server.url}/login`, { method: 'POST', headers: { cookie, ...FORM }, body: 'csrf=x&email=a@example.com&password=b' })
      expect(post.status, cookie).toBe(403)
    }
  })
})
