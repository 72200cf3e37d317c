/**
 * The account list, `GET /accounts?force=1`, for a user with 200 accounts on SQLite, against the same page
 * for a user with 1 account in the same run and on the same server. One data folder (the server's own
 * boot(), a multi-user realm), two users signed up through the user service; the 199 extra accounts and
 * memberships are inserted with SQL. Each user logs in once (a real login: the LoginRocket session cookie),
 * then the two pages are fetched one at a time, alternating. Target: the 200-account median under 50 ms.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { fmtFixed, median, ratioText, table } from '../lib/stats.js'
import { APP_URL, emailOf, PASSWORD, prepareData, removeDir, startAirlock, tempDir, type Airlock } from './airlock.js'
import { serverCore } from './measure.js'
import { verdictText, type CommonOptions, type Verdict } from './summary.js'

export const ACCOUNTS_TARGET_MS = 50

export interface AccountsOptions extends CommonOptions {
  /** Accounts of the big user (200). */
  accounts: number
  /** Timed requests per user (50). */
  requests: number
}

/** An id like the server's (`org_…`, `mb_…`): a prefix and 128 random bits, hex here (ids are opaque to it). */
const id = (prefix: string) => `${prefix}_${randomBytes(16).toString('hex')}`

/** Gives the user `email` memberships up to `count` accounts of their own (SQL), and makes the realm multi-user. */
function addAccounts(dataDir: string, realmId: string, email: string, count: number): number {
  const db = new SQLite(join(dataDir, 'airlock.db'))
  try {
    db.prepare(`update realms set settings = json_set(settings, '$.org_mode', 'multi_user') where id = ?`).run(realmId)
    const user = db.prepare('select id from users where realm_id = ? and email_normalized = ?').get(realmId, email) as { id: string } | undefined
    if (!user) throw new Error(`${email} is not in ${dataDir}`)
    const have = (db.prepare('select count(*) as n from memberships where user_id = ?').get(user.id) as { n: number }).n
    const now = new Date().toISOString()
    const insertOrg = db.prepare(`insert into orgs (id, realm_id, name, state, reference, custom, created_at, updated_at) values (?, ?, ?, 'active', null, '{}', ?, ?)`)
    const insertMember = db.prepare(
      `insert into memberships (id, realm_id, org_id, user_id, permissions, selected, created_at, updated_at) values (?, ?, ?, ?, '["ar:owner","forum:moderator"]', ?, ?, ?)`,
    )
    db.transaction(() => {
      for (let i = have; i < count; i++) {
        const orgId = id('org')
        insertOrg.run(orgId, realmId, `Bench account ${String(i).padStart(3, '0')}`, now, now)
        // The user's first account, if signup made none, is their current one.
        insertMember.run(id('mb'), realmId, orgId, user.id, i === 0 ? 1 : 0, now, now)
      }
    })()
    return (db.prepare('select count(*) as n from memberships where user_id = ?').get(user.id) as { n: number }).n
  } finally {
    db.close()
  }
}

/** A login as a browser does it (GET the form, POST it); returns the LoginRocket session cookie. */
async function sessionCookie(origin: string, email: string): Promise<string> {
  const path = `${origin}/login?redirect_uri=${encodeURIComponent(APP_URL)}`
  const form = await fetch(path)
  const html = await form.text()
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1]
  const csrfCookie = form.headers
    .getSetCookie()
    .map((c) => c.split(';', 1)[0]!)
    .find((c) => c.startsWith('lr_csrf='))
  if (!csrf || !csrfCookie) throw new Error(`GET /login: ${form.status}, no csrf field or cookie`)
  const answer = await fetch(path, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
    body: new URLSearchParams({ csrf, redirect_uri: APP_URL, email, password: PASSWORD }),
  })
  await answer.arrayBuffer()
  const session = answer.headers
    .getSetCookie()
    .map((c) => c.split(';', 1)[0]!)
    .find((c) => c.startsWith('lr_session='))
  if (answer.status !== 303 || !session) throw new Error(`POST /login for ${email}: ${answer.status}, session cookie ${session ? 'set' : 'missing'}`)
  return session
}

/** One `GET /accounts?force=1`, timed to the last byte of the page; checks it lists `expected` accounts. */
async function listAccounts(origin: string, cookie: string, expected: number): Promise<number> {
  const started = performance.now()
  const response = await fetch(`${origin}/accounts?force=1`, { headers: { cookie } })
  const html = await response.text()
  const ms = performance.now() - started
  const listed = html.split('action="/accounts/choose"').length - 1
  if (response.status !== 200 || listed !== expected) throw new Error(`GET /accounts?force=1: ${response.status}, ${listed} accounts listed, not ${expected}`)
  return ms
}

export async function accountsBench(o: AccountsOptions): Promise<Verdict> {
  const { log } = o
  const dir = tempDir('accounts')
  let server: Airlock | undefined
  try {
    // bench-user-0: the one with many accounts; bench-user-1: one account (the baseline).
    const prepared = await prepareData({ dataDir: dir, users: 2 })
    const sizes = [
      { name: '1 account', email: emailOf(1), count: 1 },
      { name: `${o.accounts} accounts`, email: emailOf(0), count: o.accounts },
    ]
    for (const size of sizes) {
      const has = addAccounts(dir, prepared.realmId, size.email, size.count)
      if (has !== size.count) throw new Error(`${size.email} has ${has} accounts, not ${size.count}`)
    }
    log(`${sizes[1]!.count} accounts (orgs + memberships) inserted with SQL for ${sizes[1]!.email}; ${sizes[0]!.email} has 1`)

    server = await startAirlock({ dataDir: dir, port: prepared.port, core: serverCore() })
    const cookies = []
    for (const size of sizes) cookies.push(await sessionCookie(server.url, size.email))
    // Warm-up (not counted).
    for (let i = 0; i < 5; i++) for (const [k, size] of sizes.entries()) await listAccounts(server.url, cookies[k]!, size.count)

    const times: number[][] = [[], []]
    for (let i = 0; i < o.requests; i++) {
      const order = i % 2 === 0 ? [0, 1] : [1, 0]
      for (const k of order) times[k]!.push(await listAccounts(server.url, cookies[k]!, sizes[k]!.count))
    }
    const medians = times.map((t) => median(t))
    const ratio = medians[1]! / medians[0]!
    const pass = medians[1]! < ACCOUNTS_TARGET_MS
    log('')
    log(
      table(
        ['user', 'GET /accounts?force=1 ms (median)', 'min – max ms', 'vs 1 account', 'target'],
        sizes.map((size, k) => [
          size.name,
          fmtFixed(medians[k]!, 2),
          `${fmtFixed(Math.min(...times[k]!), 2)} – ${fmtFixed(Math.max(...times[k]!), 2)}`,
          k === 0 ? '1.00×' : ratioText(ratio, 'up'),
          k === 0 ? '' : `${verdictText(pass)} (${pass ? '<' : '≥'} ${ACCOUNTS_TARGET_MS} ms)`,
        ]),
        [false, true, true, true, false],
      ),
    )
    log('')
    log(`${o.requests} requests each (one at a time, alternating), server on ${serverCore() === null ? 'any core' : `core ${serverCore()}`}`)
    return {
      bench: `GET /accounts, ${sizes[1]!.name} vs 1`,
      figure: `${fmtFixed(medians[1]!, 1)} ms`,
      baseline: `${fmtFixed(medians[0]!, 1)} ms`,
      ratio: ratioText(ratio, 'up'),
      target: `< ${ACCOUNTS_TARGET_MS} ms`,
      pass,
    }
  } finally {
    await server?.stop()
    removeDir(dir)
  }
}
