import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP, PASSWORD, back } from './support/accounts.js'
import { Browser } from './support/browser.js'
import { freshIp } from './support/client.js'
import { DIALECTS, freshPostgres } from './support/dialects.js'
import { freePort } from './support/server.js'

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js')

/** 5 kills per realm mode and database in `npm test`; AIRLOCK_FAULTS_LONG=1 makes it the 30. */
const LONG = process.env.AIRLOCK_FAULTS_LONG === '1'
const KILLS = LONG ? 30 : 5
/** Signups sent at once, each from its own address (the per-address signup limit is not what this tests). */
const WORKERS = 4

interface Orphans {
  /** Signups answered 303 that the database doesn't have. */
  lost: string[]
  usersWithoutCreatedEvent: string[]
  usersWithoutMembership: string[]
  accountsWithoutMember: string[]
  users: number
}

/** Reads the database the way an operator would after a crash: with a client of its own, the server dead. */
async function orphans(dialect: 'sqlite' | 'postgres', where: { file: string; url: string }, acknowledged: string[], multiUser: boolean): Promise<Orphans> {
  const queries = {
    users: 'select id, email from users',
    usersWithoutCreatedEvent: `select id from users u where not exists (select 1 from events e where e.user_id = u.id and e.event_type = 'user.created')`,
    usersWithoutMembership: 'select id from users u where not exists (select 1 from memberships m where m.user_id = u.id)',
    accountsWithoutMember: 'select id from orgs o where not exists (select 1 from memberships m where m.org_id = o.id)',
  }
  let run: (text: string) => Promise<Record<string, string>[]>
  let close: () => Promise<void>
  if (dialect === 'sqlite') {
    const database = new SQLite(where.file)
    run = async (text) => database.prepare(text).all() as Record<string, string>[]
    close = async () => void database.close()
  } else {
    const client = new pg.Client({ connectionString: where.url })
    await client.connect()
    run = async (text) => (await client.query(text)).rows as Record<string, string>[]
    close = () => client.end()
  }
  try {
    const users = await run(queries.users)
    const emails = new Set(users.map((u) => u.email))
    return {
      lost: acknowledged.filter((email) => !emails.has(email)),
      usersWithoutCreatedEvent: (await run(queries.usersWithoutCreatedEvent)).map((r) => r.id!),
      // Single-user realms make the personal account at the first token, not at signup.
      usersWithoutMembership: multiUser ? (await run(queries.usersWithoutMembership)).map((r) => r.id!) : [],
      accountsWithoutMember: (await run(queries.accountsWithoutMember)).map((r) => r.id!),
      users: users.length,
    }
  } finally {
    await close()
  }
}

/**
 * `kill -9` of a real `airlock start` process at random moments while signups pour in, restart, repeat. After
 * each kill: every signup that got its 303 is there, every user has its `user.created` event (and in multi-user
 * realms an account), every account a member.
 */
describe.each(DIALECTS)('signups killed with SIGKILL on %s', (dialect) => {
  for (const mode of ['single_user', 'multi_user'] as const) {
    describe(`in a ${mode} realm`, () => {
      const data = mkdtempSync(join(tmpdir(), 'airlock-kill-'))
      let env: NodeJS.ProcessEnv
      let drop = async () => {}
      let url = ''
      let port = 0
      let child: ChildProcess | null = null

      beforeAll(async () => {
        const database = dialect === 'postgres' ? await freshPostgres() : null
        if (database) {
          url = database.url
          drop = database.drop
        }
        port = await freePort()
        env = {
          ...process.env,
          ...(database ? { DATABASE_URL: database.url } : {}),
          AIRLOCK_SECRET: randomBytes(32).toString('hex'),
          AIRLOCK_TRUST_PROXY: 'true',
          LOG_LEVEL: 'silent',
          AIRLOCK_HOST: '127.0.0.1',
        }
        const settings = spawnSync(process.execPath, [bin, 'realm', 'settings', '--data', data, `login_urls=${APP}`, `org_mode=${mode}`, 'email_verification=optional'], { env })
        if (settings.status !== 0) throw new Error(`realm settings failed: ${settings.stderr.toString()}`)
      })
      afterAll(async () => {
        child?.kill('SIGKILL')
        await drop()
        rmSync(data, { recursive: true, force: true })
      })

      async function start(): Promise<void> {
        child = spawn(process.execPath, [bin, 'start', '--port', String(port), '--data', data, '--public-url', `http://127.0.0.1:${port}`], { env, stdio: 'ignore' })
        for (let tries = 0; tries < 200; tries++) {
          const ready = await fetch(`http://127.0.0.1:${port}/healthz`).then(
            (res) => res.ok,
            () => false,
          )
          if (ready) return
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        throw new Error('airlock start did not answer /healthz')
      }

      function kill(): Promise<void> {
        const dying = child!
        return new Promise((resolve) => {
          dying.once('exit', () => resolve())
          dying.kill('SIGKILL')
        })
      }

      it(`${KILLS} kills mid-signup: no signup that got its 303 is lost, and nothing is half-written`, { timeout: KILLS * 15_000 }, async () => {
        const acknowledged: string[] = []
        let sent = 0
        for (let round = 0; round < KILLS; round++) {
          await start()
          let dead = false
          const worker = async () => {
            while (!dead) {
              const email = `kill-${round}-${sent++}-${randomBytes(3).toString('hex')}@example.com`
              const browser = new Browser(`http://127.0.0.1:${port}`)
              const ip = { 'x-forwarded-for': freshIp() }
              try {
                await browser.get(`/signup?${back}`, ip)
                const res = await browser.post(`/signup?${back}`, { email, password: PASSWORD, first_name: 'Kill', last_name: 'Test', account_name: `Org ${email}` }, ip)
                if (res.status === 303) acknowledged.push(email)
              } catch {
                // The process died under this request: it was never acknowledged.
              }
            }
          }
          const workers = Array.from({ length: WORKERS }, worker)
          // A random moment: during the first signups' hashes, their transactions, or later ones.
          await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 850))
          await kill()
          dead = true
          await Promise.all(workers)
          const found = await orphans(dialect, { file: join(data, 'airlock.db'), url }, acknowledged, mode === 'multi_user')
          expect({ round, ...found, users: undefined }).toEqual({ round, lost: [], usersWithoutCreatedEvent: [], usersWithoutMembership: [], accountsWithoutMember: [], users: undefined })
        }
        // The loop did sign people up (else it tested nothing).
        expect(acknowledged.length).toBeGreaterThan(0)
      })
    })
  }
})
