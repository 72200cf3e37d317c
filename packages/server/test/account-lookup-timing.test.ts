import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../src/crypto/ids.js'
import { userRepository } from '../src/db/repositories/users.js'
import { DIALECTS } from './support/dialects.js'
import { MailCatcher } from './support/mail-catcher.js'
import { startServer, type TestServer } from './support/server.js'

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const ROUNDS = 40
const run = promisify(execFile)

/**
 * Item 6 of issue 10: /forgot and /verify/resend answer as fast whether or not the address has an account
 * (before, the awaited link write made a known address about 10 ms slower). Known and unknown addresses are
 * interleaved, from a client in another process (see support/timed-forms.ts); each request comes from its own
 * address and each known address is asked once, so that no limit is reached.
 */
describe.each(DIALECTS)('timing of the account-lookup forms on %s', (dialect) => {
  let server: TestServer
  let smtp: MailCatcher

  beforeAll(async () => {
    smtp = await MailCatcher.start()
    server = await startServer({ dialect, trustProxy: true, env: { AIRLOCK_SMTP_URL: smtp.url }, settings: ['email_verification=optional'] })
  })
  afterAll(async () => {
    await server.close()
    await smtp.close()
  })

  /** Unconfirmed users stored directly (they are the setting, not what is measured). */
  async function knownAddresses(prefix: string): Promise<string[]> {
    const users = userRepository(server.booted.services.db.kysely)
    const emails = Array.from({ length: ROUNDS }, (_, i) => `${prefix}-${i}@example.com`)
    for (const email of emails) {
      await users.insert(
        { id: newId('usr'), realmId: server.booted.realm.id, email, emailVerifiedAt: null, passwordHash: null, firstName: null, lastName: null, username: null, locale: null, reference: null, custom: {}, state: 'active' },
        new Date(),
      )
    }
    return emails
  }

  /** Posts the form at `path` (opened at `page`) for each address from another process; how long each answer took. */
  async function timedFromElsewhere(page: string, path: string, emails: string[]): Promise<number[]> {
    const input = JSON.stringify({ base: server.url, page, path, emails, pauseMs: 60 })
    const { stdout } = await run(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./support/timed-forms.ts', import.meta.url)), input], { maxBuffer: 1 << 20 })
    const answers = JSON.parse(stdout) as { status: number; ms: number }[]
    expect(answers.map((answer) => answer.status)).toEqual(emails.map(() => 200))
    return answers.map((answer) => answer.ms)
  }

  async function compare(page: string, path: string, prefix: string, subject: string): Promise<void> {
    const known = await knownAddresses(prefix)
    const unknown = known.map((_, i) => `${prefix}-nobody-${i}@example.com`)
    // Interleaved known-unknown, unknown-known, ..., so that a busy moment of the machine, or work after an answer
    // that outlasts the pause, costs both alike; after a few unmeasured requests that warm the server up.
    const warmUp = Array.from({ length: 4 }, (_, i) => `${prefix}-warm-${i}@example.com`)
    const order = known.flatMap((email, i) => (i % 2 === 0 ? [email, unknown[i]!] : [unknown[i]!, email]))
    const took = (await timedFromElsewhere(page, path, [...warmUp, ...order])).slice(warmUp.length)
    const isKnown = new Set(known)
    const knownMs = took.filter((_, i) => isKnown.has(order[i]!))
    const unknownMs = took.filter((_, i) => !isKnown.has(order[i]!))
    expect(Math.abs(median(knownMs) - median(unknownMs)), `medians: known ${median(knownMs)} ms, unknown ${median(unknownMs)} ms`).toBeLessThan(3)
    // The mail still goes to every known address, after the answer; none to the others.
    for (const email of known) expect((await smtp.waitFor(email)).subject).toContain(subject)
    expect(unknown.flatMap((email) => smtp.to(email))).toEqual([])
  }

  it('/forgot takes as long for an address without an account (the link is written after the answer)', async () => {
    await compare('/forgot', '/forgot', 'forgot-timing', 'Reset your')
  })

  it('/verify/resend takes as long for an address without an account (the link is written after the answer)', async () => {
    await compare('/login', '/verify/resend', 'resend-timing', 'Confirm your email address')
  })
})
