import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FORM_MAX_BYTES, FORM_MAX_FIELDS } from '../src/http/form-limit.js'
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
    // Refused at the door with the whole form (over 64 KiB); a long one that fits a form, by the routes.
    const huge = 'p'.repeat(1024 * 1024)
    await changesNothing([413], async () => (await page('/login')).post('/login', { email: VICTIM, password: huge }))
    await changesNothing([413], async () => (await page('/signup')).post('/signup', { email: 'huge@example.com', password: huge }))
    const long = 'p'.repeat(20_000)
    await changesNothing([401], async () => (await page('/login')).post('/login', { email: VICTIM, password: long }))
    const res = await changesNothing([422], async () => (await page('/signup')).post('/signup', { email: 'huge@example.com', password: long }))
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

  it('a multipart form is refused (415) before it is parsed: no form here uploads files', async () => {
    const client = await page('/signup')
    const multipart = (fields: Record<string, string | Blob>) => {
      const data = new FormData()
      for (const [k, v] of Object.entries(fields)) data.append(k, v)
      return data
    }
    for (const [path, fields] of [
      ['/signup', { csrf: client.csrf, email: 'multi@example.com', password: PASSWORD }],
      ['/signup', { csrf: client.csrf, email: new Blob(['file@example.com']), password: PASSWORD }],
      [`/login?redirect_uri=${encodeURIComponent(APP)}`, { csrf: client.csrf, email: VICTIM, password: PASSWORD }],
    ] as const) {
      const res = await changesNothing([415], () => postRaw(client, path, multipart(fields), {}))
      expect(await res.text()).toContain('it was sent as a file upload')
    }
  })

  /** A urlencoded form of `count` fields: the CSRF token first, then `f1=x`, `f2=x`, ... */
  const manyFields = (csrf: string, count: number) => `csrf=${encodeURIComponent(csrf)}${Array.from({ length: count - 1 }, (_, i) => `&f${i}=x`).join('')}`

  it('a form with 190,000 fields is refused in well under 100 ms, and /healthz keeps answering', async () => {
    const client = await page('/login')
    const body = manyFields(client.csrf, 190_000)
    expect(body.length).toBeGreaterThan(1_000_000)
    const headers = { ...FORM, cookie: client.cookieHeader, 'x-forwarded-for': client.ip }
    for (const declared of [true, false]) {
      const started = performance.now()
      const attack = sendLarge('/login', declared ? { ...headers, 'content-length': String(body.length) } : headers, Buffer.from(body))
      const health = fetch(`${server.url}/healthz`)
      const res = await attack
      const ms = performance.now() - started
      expect(res.status).toBe(413)
      expect(await res.text()).toContain('That form was too large to send.')
      expect(ms).toBeLessThan(100)
      expect((await health).status).toBe(200)
    }
  })

  it('a small form with more than 200 fields is refused (400) before it is parsed, and changes nothing', async () => {
    const client = await page('/signup')
    const fields = `${manyFields(client.csrf, 199)}&email=many@example.com&password=${encodeURIComponent(PASSWORD)}`
    const res = await changesNothing([400], () => postRaw(client, '/signup', fields, FORM))
    expect(await res.text()).toContain('it has too many fields')
  })

  it('a form at the limits (200 fields, 64 KiB) still works; one byte more is refused', async () => {
    expect([FORM_MAX_FIELDS, FORM_MAX_BYTES]).toEqual([200, 64 * 1024])
    const client = await page('/signup')
    const start = `${manyFields(client.csrf, 197)}&email=limits@example.com&password=${encodeURIComponent(PASSWORD)}&pad=`
    const atLimit = start + 'x'.repeat(FORM_MAX_BYTES - start.length)
    expect(atLimit.length).toBe(FORM_MAX_BYTES)
    expect(atLimit.split('&')).toHaveLength(FORM_MAX_FIELDS)
    const headers = { ...FORM, cookie: client.cookieHeader, 'x-forwarded-for': client.ip }
    const over = await changesNothing([413], () => sendLarge(`/signup?redirect_uri=${encodeURIComponent(APP)}`, headers, Buffer.from(`${atLimit}x`)))
    expect(await over.text()).toContain('That form was too large to send.')
    const res = await sendLarge(`/signup?redirect_uri=${encodeURIComponent(APP)}`, headers, Buffer.from(atLimit))
    expect(res.status).toBe(303)
    expect(claimsOf(tokenFrom(res)).email).toBe('limits@example.com')
    await smtp.waitFor('limits@example.com')
  })

  it('a body over 2 MB: a clear 4xx page, whether its length is declared or streamed', async () => {
    const client = await page('/signup')
    const big = Buffer.from(form([['csrf', client.csrf], ['email', 'big@example.com'], ['password', PASSWORD], ['first_name', 'x'.repeat(2 * 1024 * 1024)]]))
    const headers = { ...FORM, cookie: client.cookieHeader, 'x-forwarded-for': client.ip }
    for (const declared of [true, false]) {
      const res = await changesNothing([413], () => sendLarge('/signup', declared ? { ...headers, 'content-length': String(big.length) } : headers, big))
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
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
