/**
 * Login time with 1,000,000 users in SQLite against 1,000: two data folders, each with one real account
 * (signed up through the user service, a real argon2id hash) and the rest inserted directly with SQL in
 * batches, all sharing one fixed argon2id hash (hashing a million passwords would take hours). Both
 * servers run at once on the same core; logins alternate between them. Target: the 1M median within
 * 1.2× of the 1K median.
 */
import { randomBytes } from 'node:crypto'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { fmt, fmtFixed, median, ratioText, table } from '../lib/stats.js'
import { browserLogin, emailOf, prepareData, removeDir, startAirlock, tempDir, type Airlock, type LoginTiming, type Prepared } from './airlock.js'
import { loadNewId, loadPasswords } from './dist.js'
import { serverCore } from './measure.js'
import { verdictText, type CommonOptions, type Verdict } from './summary.js'

export const USERS_TARGET = 1.2

export interface UsersOptions extends CommonOptions {
  /** Users in the big database (1,000,000) and the small one (1,000). */
  big: number
  small: number
  logins: number
  keep: boolean
}

const BATCH = 50_000
function bulkInsert(dataDir: string, realmId: string, count: number, dummyHash: string, userId: () => string): number {
  const started = performance.now()
  const db = new SQLite(join(dataDir, 'airlock.db'))
  try {
    // Only for this loading connection: the server's own connection keeps synchronous=FULL.
    db.pragma('synchronous = OFF')
    const insert = db.prepare(
      `insert into users (id, realm_id, email, email_normalized, email_verified_at, password_hash, first_name, last_name, username,
        username_normalized, locale, reference, custom, state, created_at, updated_at, last_login_at)
       values (?, ?, ?, ?, null, ?, 'Bench', ?, null, null, null, null, '{}', 'active', ?, ?, null)`,
    )
    const now = new Date().toISOString()
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const email = emailOf(i)
        insert.run(userId(), realmId, email, email, dummyHash, `User ${i}`, now, now)
      }
    })
    for (let from = 1; from <= count; from += BATCH) batch(from, Math.min(from + BATCH, count + 1))
    // Fold the WAL into the database, as a long-running server's checkpoints would have.
    db.pragma('wal_checkpoint(TRUNCATE)')
  } finally {
    db.close()
  }
  return performance.now() - started
}

/** The server's user lookup, `users.byEmail`, as Kysely sends it to SQLite; its plan, and its median time over 2,000 runs. */
function lookup(dataDir: string, realmId: string, email: string): { plan: string; us: number } {
  const db = new SQLite(join(dataDir, 'airlock.db'), { readonly: true })
  try {
    const query = 'select * from "users" where "realm_id" = ? and "email_normalized" = ?'
    const plan = (db.prepare(`explain query plan ${query}`).all(realmId, email) as { detail: string }[]).map((r) => r.detail).join('; ')
    const times: number[] = []
    for (let i = 0; i < 2000; i++) {
      const t = performance.now()
      if (!db.prepare(query).get(realmId, email)) throw new Error(`${email} is not in ${dataDir}`)
      times.push((performance.now() - t) * 1000)
    }
    return { plan, us: median(times) }
  } finally {
    db.close()
  }
}

const MB = 1024 * 1024
const dbSize = (dataDir: string) => statSync(join(dataDir, 'airlock.db')).size / MB

export async function usersBench(o: UsersOptions): Promise<Verdict> {
  const { log } = o
  const passwords = await loadPasswords()
  const newId = await loadNewId()
  const dummyHash = await passwords.hashPassword(`dummy ${randomBytes(16).toString('hex')}`)
  const sizes = [
    { name: fmt(o.small), count: o.small, dir: tempDir('users-small') },
    { name: fmt(o.big), count: o.big, dir: tempDir('users-big') },
  ]
  const servers: Airlock[] = []
  try {
    const prepared: Prepared[] = []
    for (const size of sizes) {
      // The test user bench-user-0: a real signup (its own argon2id hash of the benchmark password).
      const p = await prepareData({ dataDir: size.dir, users: 1 })
      const ms = bulkInsert(size.dir, p.realmId, size.count - 1, dummyHash, () => newId('usr'))
      log(`${size.name} users: ${fmt(size.count - 1)} inserted with SQL in ${fmtFixed(ms / 1000, 1)} s; database ${fmtFixed(dbSize(size.dir), 1)} MB in ${size.dir}`)
      prepared.push(p)
    }
    const lookups = sizes.map((size, i) => lookup(size.dir, prepared[i]!.realmId, emailOf(0)))
    for (const [i, size] of sizes.entries()) log(`  ${size.name}: users.byEmail plan: ${lookups[i]!.plan}; ${fmtFixed(lookups[i]!.us, 1)} µs a lookup`)

    for (const [i, size] of sizes.entries()) {
      servers.push(await startAirlock({ dataDir: size.dir, port: prepared[i]!.port, core: serverCore() }))
    }
    // Warm-up (not counted): the first logins load the code paths and the database pages.
    for (let i = 0; i < 3; i++) for (const server of servers) await browserLogin(server.url, emailOf(0))

    const timings: LoginTiming[][] = [[], []]
    for (let i = 0; i < o.logins; i++) {
      // Alternate which database goes first, so that neither always follows the other.
      const order = i % 2 === 0 ? [0, 1] : [1, 0]
      for (const k of order) timings[k]!.push(await browserLogin(servers[k]!.url, emailOf(0)))
    }
    const total = timings.map((t) => median(t.map((x) => x.totalMs)))
    const post = timings.map((t) => median(t.map((x) => x.postMs)))
    const ratio = total[1]! / total[0]!
    const pass = ratio <= USERS_TARGET
    const rows = sizes.map((size, k) => [
      `${size.name} users`,
      fmtFixed(total[k]!, 1),
      fmtFixed(post[k]!, 1),
      `${fmtFixed(Math.min(...timings[k]!.map((x) => x.totalMs)), 1)} – ${fmtFixed(Math.max(...timings[k]!.map((x) => x.totalMs)), 1)}`,
      fmtFixed(lookups[k]!.us, 1),
      fmtFixed(dbSize(size.dir), 0),
      k === 0 ? '1.00×' : ratioText(ratio, 'up'),
      k === 0 ? '' : `${verdictText(pass)} (${pass ? '≤' : '>'} ${USERS_TARGET}×)`,
    ])
    log('')
    log(
      table(
        ['database', 'login ms (median)', 'POST ms (median)', 'login ms min – max', 'SQL lookup µs', 'DB MB', `vs ${sizes[0]!.name}`, 'target'],
        rows,
        [false, true, true, true, true, true, true, false],
      ),
    )
    log('')
    log(`${o.logins} logins each (GET /login + POST /login, one at a time, alternating), both servers on ${serverCore() === null ? 'any core' : `core ${serverCore()}`}`)
    return {
      bench: `login time, ${sizes[1]!.name} vs ${sizes[0]!.name} users`,
      figure: `${fmtFixed(total[1]!, 1)} ms`,
      baseline: `${fmtFixed(total[0]!, 1)} ms`,
      ratio: ratioText(ratio, 'up'),
      target: `≤ ${USERS_TARGET}×`,
      pass,
    }
  } finally {
    for (const server of servers) await server.stop()
    if (!o.keep) for (const size of sizes) removeDir(size.dir)
  }
}
