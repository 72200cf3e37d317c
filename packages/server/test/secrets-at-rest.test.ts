import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { boot } from '../src/bootstrap.js'
import { loadConfig } from '../src/config/load.js'
import { APP, signUp } from './support/accounts.js'
import { Browser } from './support/browser.js'
import { cli } from './support/cli.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { linkIn, MailCatcher } from './support/mail-catcher.js'
import { startServer, type TestServer } from './support/server.js'

const modeOf = (path: string) => statSync(path).mode & 0o777
const config = (data: string) => loadConfig({ data, env: { LOG_LEVEL: 'silent' } })

/** Issue 10, item 8: a local user read CSRF keys and live reset links from a database file created 0644. */
describe('the data folder’s permissions', () => {
  const places: string[] = []
  const umask = process.umask()
  afterEach(() => {
    process.umask(umask)
  })
  afterAll(() => {
    for (const place of places) rmSync(place, { recursive: true, force: true })
  })
  const fresh = () => {
    const place = mkdtempSync(join(tmpdir(), 'airlock-modes-'))
    places.push(place)
    return join(place, 'data')
  }

  // 022 is the usual umask (SQLite then made the database 0644); 000 would have made it 0666.
  for (const mask of [0o022, 0o000]) {
    it(`another local user can read nothing: airlock init makes the folder 0700, the database and the key 0600 (umask ${mask.toString(8).padStart(3, '0')})`, async () => {
      process.umask(mask)
      const data = fresh()
      JSON.parse(await cli(['init', '--json', '--data', data]))
      expect(modeOf(data)).toBe(0o700)
      expect(modeOf(join(data, 'airlock.db'))).toBe(0o600)
      expect(modeOf(join(data, 'secret.key'))).toBe(0o600)

      // While the server runs, SQLite's write-ahead log and shared memory hold the same data.
      const booted = await boot(config(data), pino({ level: 'silent' }))
      try {
        for (const file of ['airlock.db-wal', 'airlock.db-shm']) {
          expect(existsSync(join(data, file)), file).toBe(true)
          expect(modeOf(join(data, file)), file).toBe(0o600)
        }
      } finally {
        await booted.close()
      }
    })
  }

  /** Boots on `data` and returns what was logged at warn or above. */
  async function warningsAtStart(data: string): Promise<Record<string, unknown>[]> {
    const lines: Record<string, unknown>[] = []
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>)
        done()
      },
    })
    const booted = await boot(config(data), pino({ level: 'warn' }, sink))
    await booted.close()
    return lines
  }

  it('a data folder other users can read (0755) is named in a warning at start, with the fix', async () => {
    const data = fresh()
    await cli(['init', '--json', '--data', data])
    chmodSync(data, 0o755)
    const warnings = await warningsAtStart(data)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({ level: 40, dataDir: data, mode: '0755' })
    expect(warnings[0]!.msg).toContain(`the data folder ${data} is open to other users`)
    expect(warnings[0]!.msg).toContain(`Fix: chmod 700 ${data}`)

    chmodSync(data, 0o700)
    expect(await warningsAtStart(data)).toEqual([])
  })
})

describe.each(DIALECTS)('mail with SMTP on %s', (dialect) => {
  let server: TestServer
  let smtp: MailCatcher

  beforeAll(async () => {
    smtp = await MailCatcher.start()
    server = await startServer({ dialect, trustProxy: true, env: { AIRLOCK_SMTP_URL: smtp.url }, settings: [`login_urls=${APP}`, 'email_verification=optional'] })
  })
  afterAll(async () => {
    await server.close()
    await smtp.close()
  })

  /** The stored copies of the mails to `to`, once there are `count` (a mail is stored after the SMTP server took it). */
  async function stored(to: string, count: number): Promise<string[]> {
    const deadline = Date.now() + 5000
    for (;;) {
      const rows = await server.booted.services.db.kysely.selectFrom('mails').select('text_body').where('to_address', '=', to).orderBy('id').execute()
      if (rows.length >= count || Date.now() > deadline) return rows.map((row) => row.text_body)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  it('a reset link in the database is no longer a live link: the mail arrives with it, the stored copy has it masked', async () => {
    const email = 'masked@example.com'
    await signUp(server, email)
    await smtp.waitFor(email) // the verification mail
    const client = new Client(server)
    await client.get('/forgot')
    expect((await client.post('/forgot', { email })).status).toBe(200)
    const mail = await smtp.waitFor(email, 2)
    const link = linkIn(mail.text, server.url, '/reset')
    const secret = link.searchParams.get('token')!
    expect(secret).toMatch(/^[\w-]{43}$/)

    const texts = await stored(email, 2)
    expect(texts).toHaveLength(2)
    for (const text of texts) {
      expect(text).toMatch(/\?token=\[hidden\]/)
      expect(text).not.toMatch(/token=(?!\[hidden\])/)
    }
    expect(texts.join('\n')).not.toContain(secret)
    // Only the secret is gone: the rest of the mail is kept as sent.
    expect(texts[1]!.replace('[hidden]', secret).trim()).toBe(mail.text.trim())

    // The recipient's link works.
    const reader = new Browser(server.url)
    const form = await reader.get(link.pathname + link.search)
    expect(form.status).toBe(200)
    expect(reader.lastHtml).toContain('name="new_password"')
  })
})

describe.each(DIALECTS)('mail without SMTP (the outbox) on %s', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ dialect, trustProxy: true, settings: [`login_urls=${APP}`, 'email_verification=optional'] })
  })
  afterAll(() => server.close())

  it('keeps the links whole for the admins, who follow them from the outbox on a first run', async () => {
    await signUp(server, 'outbox@example.com')
    const rows = await server.booted.services.db.kysely.selectFrom('mails').select('text_body').where('to_address', '=', 'outbox@example.com').execute()
    expect(rows).toHaveLength(1)
    expect(rows[0]!.text_body).toMatch(/\/verify\?token=[\w-]{43}/)
  })
})
