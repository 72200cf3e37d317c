import { createHmac } from 'node:crypto'
import type SQLite from 'better-sqlite3'
import { sql } from 'kysely'
import type pg from 'pg'
import type { Logger } from 'pino'
import type { Db } from '../db/connect.js'

const MINUTE = 60
const HOUR = 60 * MINUTE

/**
 * Every limit, as `points` per fixed window of `duration` seconds, counted in the database so that all
 * server processes share them. Which requests spend a point is decided in src/http/throttle.ts.
 *
 * - Login: only failed attempts (wrong password or unknown email) count. 10 per account and client address
 *   per 15 minutes stops one address guessing one password, while a person who mistypes still has plenty of
 *   tries; a success clears it. An attacker's failures lock out only the attacker's address, never the owner
 *   (as Auth0's and Keycloak's brute-force protection do). 100 per account per hour, from all addresses
 *   together, still caps guessing spread over many addresses (≈2,400 guesses a day at most); reaching it
 *   mails the owner (once an hour: `lockout_mail`), and a completed password reset clears both counters.
 *   50 per client IP per 15 minutes stops one address spraying passwords over many accounts, and leaves room
 *   for an office behind one NAT. This one counts failures only, never attempts still running: it is checked
 *   before a login runs and a point is added when one fails, so any number of people behind one NAT logging in
 *   at once with their right passwords all get in. What bounds guesses sent all at once from one address (each
 *   passes the check before any has failed) is http/throttle.ts's in-flight gate: at most
 *   LOGIN_IN_FLIGHT_PER_ADDRESS logins per address run at once in a process, the rest wait their turn and are
 *   checked then, so one process lets at most that many guesses past the limit. Unknown emails are counted exactly like real ones, so a 429 says nothing
 *   about whether an account exists.
 * - Profile forms that check the current password (change password, change email): 10 refused forms per
 *   logged-in user per 15 minutes, so a stolen session can't be used to guess the password either; a
 *   success clears the count.
 * - Signup: 20 forms per IP per hour, created or refused (a refused one tells whether an email has an account).
 * - Forgot password and verification resend: 5 per target email per hour (each one can send a mail, so this
 *   caps what lands in one inbox) and 20 per IP per hour (caps the mail one address can make us send).
 *   These counters are separate from the login ones: an attacker's failed logins never block the owner's
 *   reset. An attacker who spends an email's 5 resets has sent the owner 5 working links (the newest one
 *   stays valid), so the owner can still reset.
 * - Invitation mails (inviting, sending again): 50 per logged-in user per hour, so an account's managers
 *   can't turn the server into a mail cannon; forms refused without a mail give their point back.
 */
export const LIMITS = {
  login_ip: { points: 50, duration: 15 * MINUTE },
  login_account_ip: { points: 10, duration: 15 * MINUTE },
  login_account: { points: 100, duration: HOUR },
  lockout_mail: { points: 1, duration: HOUR },
  profile_user: { points: 10, duration: 15 * MINUTE },
  signup_ip: { points: 20, duration: HOUR },
  forgot_ip: { points: 20, duration: HOUR },
  forgot_email: { points: 5, duration: HOUR },
  resend_ip: { points: 20, duration: HOUR },
  resend_target: { points: 5, duration: HOUR },
  invite_user: { points: 50, duration: HOUR },
} as const satisfies Record<string, { points: number; duration: number }>

export type LimitName = keyof typeof LIMITS

/** Limits that count failures only: checked before a request (refused once spent out), a point added when it fails. */
const FAILURE_LIMITS: ReadonlySet<LimitName> = new Set<LimitName>(['login_ip'])

/** One counter: a limit and the thing it counts for (an IP, an account...), in clear; it is hashed before storing. */
export interface Counter {
  limit: LimitName
  key: string
  /** The client's address, for a counter per `key` and address (kept apart so `forget` can clear them all). */
  address?: string
}

/** `counted`: the counters a point was taken on; `checked`: FAILURE_LIMITS ones, which get a point only by `settle`'s `add`. */
export type Taken = { allowed: true; counted: Counter[]; checked: Counter[] } | { allowed: false; retryAfterMs: number; refusedBy: LimitName[] }

/** What happens to the points a request took once it is answered (see `settle`). */
export interface Settlement {
  /** Counters that get their point back. */
  refund: Counter[]
  /** Counters deleted outright (a success clears an account's failures). */
  clear: Counter[]
  /** Counters deleted with all their per-address ones (a completed password reset clears an account's failures). */
  forget?: Counter[]
  /** Counters that get a point now: a failure, on a counter that counts failures only. */
  add?: Counter[]
}

/** An account's login counters (its key as http/throttle.ts makes it): per address, without one, and overall. */
export function loginCounters(account: string, address?: string): Counter[] {
  return [{ limit: 'login_account_ip', key: account, ...(address === undefined ? {} : { address }) }, { limit: 'login_account', key: account }]
}

const TABLE = 'rate_limits'
/** Windows that ended this long ago are deleted by `sweep`. */
const SWEEP_AFTER_MS = HOUR * 1000

/** A counter as stored: its row key (`<limit>:<HMAC of the key>`) and its window's rules. */
interface Row {
  counter: Counter
  key: string
  points: number
  durationMs: number
  /** A FAILURE_LIMITS counter: `reserve` checks it without taking a point. */
  checkOnly: boolean
}

/** The store's answer for one request's counters: all taken, or none (the wait until the fullest one resets, and which are spent out). */
type Reserved = { allowed: true } | { allowed: false; retryAfterMs: number; refusedBy: LimitName[] }

interface Store {
  /** Takes a point on every counter (checks the `checkOnly` ones), or on none when one of them is spent out. */
  reserve(rows: Row[], now: number): Promise<Reserved>
  /**
   * Gives points back and deletes counters, `forget` ones with every row whose key starts with theirs and
   * ':'; adds a point to `add` ones. May be applied a moment later (SQLite batches it), never earlier.
   */
  settle(refund: Row[], clear: Row[], forget: Row[], add: Row[], now: number): Promise<void>
}

class Failure extends Error {
  constructor(
    readonly operation: string,
    readonly rows: Row[],
    override readonly cause: unknown,
  ) {
    super(`rate limiter ${operation} failed`)
  }
}

/**
 * Rate limits in our `rate_limits` table, as fixed windows: a row per counter (`key`, `points` spent, `expire`:
 * the window's end in epoch ms; the layout rate-limiter-flexible uses). Throttling fails open: when the
 * database can't count, the request goes through (and the failure is logged), so an outage of the limiter
 * never becomes an outage of logins; the request itself then meets the database and answers 503.
 *
 * A request's counters are reserved together before it runs, in one statement or transaction: concurrent
 * requests can never spend more than a limit's points, in one process or across many. A request refused
 * writes nothing.
 *
 * `secret` keys the HMAC that turns emails and addresses into counter keys, so the table holds no emails
 * and its keys can't be reversed with a dictionary.
 */
export function throttleService(db: Db, logger: Logger, secret: string) {
  const hashKey = (key: string) => createHmac('sha256', secret).update('airlock throttle\n').update(key).digest('base64url')
  const rowOf = (counter: Counter): Row => ({
    counter,
    key: `${counter.limit}:${hashKey(counter.key)}${counter.address === undefined ? '' : `:${hashKey(counter.address)}`}`,
    points: LIMITS[counter.limit].points,
    durationMs: LIMITS[counter.limit].duration * 1000,
    checkOnly: FAILURE_LIMITS.has(counter.limit),
  })
  const failed = (error: unknown, message = 'rate limiter unavailable; request let through') => {
    const { operation, rows, cause } = error instanceof Failure ? error : new Failure('write', [], error)
    for (const row of rows) logger.error({ err: cause, limit: row.counter.limit, operation }, message)
    if (rows.length === 0) logger.error({ err: cause, operation }, message)
  }
  const store: Store = db.raw.kind === 'postgres' ? postgresStore(db.raw.pool, failed) : sqliteStore(db.raw, failed)

  /**
   * Spends one point on each counter, or none when one of them is spent out: then the answer says how long
   * until it resets. When the database can't count, nothing is counted and the request goes through.
   */
  async function take(counters: Counter[]): Promise<Taken> {
    if (counters.length === 0) return { allowed: true, counted: [], checked: [] }
    // A counter named twice (the same target by two fields) is one row and one point.
    const rows = [...new Map(counters.map(rowOf).map((row) => [row.key, row])).values()]
    try {
      const reserved = await store.reserve(rows, Date.now())
      if (!reserved.allowed) return reserved
      return { allowed: true, counted: rows.filter((row) => !row.checkOnly).map((row) => row.counter), checked: rows.filter((row) => row.checkOnly).map((row) => row.counter) }
    } catch (error) {
      failed(error)
      return { allowed: true, counted: [], checked: [] }
    }
  }

  /** What becomes of a request's points once it is answered: some are given back, some counters cleared. */
  async function settle({ refund, clear, forget = [], add = [] }: Settlement): Promise<void> {
    if (refund.length === 0 && clear.length === 0 && forget.length === 0 && add.length === 0) return
    try {
      await store.settle(refund.map(rowOf), clear.map(rowOf), forget.map(rowOf), add.map(rowOf), Date.now())
    } catch (error) {
      failed(error)
    }
  }

  /** Deletes windows that ended more than an hour ago; any process may run it, any time. */
  async function sweep(now = Date.now()): Promise<void> {
    await sql`delete from ${sql.table(TABLE)} where expire < ${now - SWEEP_AFTER_MS}`.execute(db.kysely)
  }

  return { take, settle, sweep }
}

export type ThrottleService = ReturnType<typeof throttleService>

class Refused extends Error {
  constructor(
    readonly retryAfterMs: number,
    readonly refusedBy: LimitName[],
  ) {
    super('spent out')
  }
}

/** How long a settlement may wait to be written with the next reservation (SQLite). */
const SETTLE_DELAY_MS = 100

/**
 * SQLite: statements run synchronously on the server's connection, and the reservations and settlements
 * waiting at the end of a turn of the event loop are written in one transaction, so that they share one
 * fsync (`synchronous = FULL`). A reservation waits for that turn to end (well under a millisecond). A
 * settlement resolves at once and is written with the next reservation, or after SETTLE_DELAY_MS when none
 * comes: until then its counters hold a point too many, which errs on the strict side; one that comes after
 * it is written after it.
 */
function sqliteStore(raw: { database: SQLite.Database; prepare(sql: string): SQLite.Statement }, failed: (error: Failure) => void): Store {
  const { database, prepare } = raw
  // @add (1, or 0 to check only) points more in the window that is running, or a new window with @add points.
  const UPSERT = `insert into ${TABLE} (key, points, expire) values (@key, @add, @expire)
    on conflict (key) do update set
      points = case when expire > @now then points + @add else @add end,
      expire = case when expire > @now then expire else excluded.expire end
    returning points, expire`
  const REFUND = `update ${TABLE} set points = points - 1 where key = ? and expire > ? and points > 0`
  const CLEAR = `delete from ${TABLE} where key = ?`
  const FORGET = `delete from ${TABLE} where key = ? or substr(key, 1, length(?)) = ?`

  type Op =
    | { kind: 'reserve'; rows: Row[]; now: number; done(result: Reserved): void; fail(error: Failure): void }
    | { kind: 'settle'; refund: Row[]; clear: Row[]; forget: Row[]; add: Row[]; now: number; done?: () => void }

  /** One op, in its own transaction or, inside a batch, its own savepoint; a refused reservation rolls back. */
  const apply = database.transaction((op: Op): Reserved => {
    if (op.kind === 'settle') {
      for (const row of op.refund) prepare(REFUND).run(row.key, op.now)
      for (const row of op.clear) prepare(CLEAR).run(row.key)
      for (const row of op.forget) prepare(FORGET).run(row.key, `${row.key}:`, `${row.key}:`)
      for (const row of op.add) prepare(UPSERT).get({ key: row.key, add: 1, expire: op.now + row.durationMs, now: op.now })
      return { allowed: true }
    }
    let retryAfterMs = 0
    const refusedBy: LimitName[] = []
    for (const row of op.rows) {
      const add = row.checkOnly ? 0 : 1
      const { points, expire } = prepare(UPSERT).get({ key: row.key, add, expire: op.now + row.durationMs, now: op.now }) as { points: number; expire: number }
      // A checked counter is spent out when one more failure would be over its limit.
      if (points + 1 - add > row.points) {
        retryAfterMs = Math.max(retryAfterMs, expire - op.now)
        refusedBy.push(row.counter.limit)
      }
    }
    if (retryAfterMs > 0) throw new Refused(retryAfterMs, refusedBy)
    return { allowed: true }
  })
  const attempt = (op: Op): Reserved => {
    try {
      return apply.immediate(op)
    } catch (error) {
      if (error instanceof Refused) return { allowed: false, retryAfterMs: error.retryAfterMs, refusedBy: error.refusedBy }
      throw error
    }
  }
  const batch = database.transaction((ops: Op[]) => ops.map(attempt))
  const answer = (op: Op, result: Reserved) => {
    if (op.kind === 'reserve') op.done(result)
    else op.done?.()
  }

  let queue: Op[] = []
  let immediate = false
  let timer: NodeJS.Timeout | undefined
  let waits = 0
  function flush() {
    if (queue.length === 0) return
    // A Kysely transaction is open on this connection (between its statements' promises): don't write into it.
    if (database.open && database.inTransaction && waits++ < 100) {
      setImmediate(flush)
      return
    }
    immediate = false
    clearTimeout(timer)
    timer = undefined
    waits = 0
    const ops = queue
    queue = []
    let results: Reserved[]
    try {
      results = ops.length === 1 ? [attempt(ops[0]!)] : batch.immediate(ops)
    } catch {
      // The batch failed as a whole (e.g. the table can't be written): alone, each op meets its own fate.
      for (const op of ops) {
        try {
          answer(op, attempt(op))
        } catch (error) {
          const failure = new Failure(op.kind === 'reserve' ? 'consume' : 'settle', op.kind === 'reserve' ? op.rows : [...op.refund, ...op.clear, ...op.forget, ...op.add], error)
          if (op.kind === 'reserve') op.fail(failure)
          // Settlements still queued when the server closes its database are dropped: their points stay taken.
          else {
            if (database.open) failed(failure)
            op.done?.()
          }
        }
      }
      return
    }
    ops.forEach((op, i) => answer(op, results[i]!))
  }
  /** A reservation is written at the end of this turn of the event loop; settlements alone wait for company. */
  function enqueue(op: Op) {
    queue.push(op)
    if (immediate) return
    if (op.kind === 'reserve' || op.done) {
      immediate = true
      clearTimeout(timer)
      timer = undefined
      setImmediate(flush)
    } else if (timer === undefined) {
      timer = setTimeout(flush, SETTLE_DELAY_MS).unref()
    }
  }

  return {
    reserve: (rows, now) => new Promise<Reserved>((done, fail) => enqueue({ kind: 'reserve', rows, now, done, fail })),
    async settle(refund, clear, forget, add, now) {
      // Forgetting is rare (a completed reset, the CLI) and waited for: the CLI closes the database right after.
      if (forget.length > 0) return new Promise<void>((done) => enqueue({ kind: 'settle', refund, clear, forget, add, now, done }))
      enqueue({ kind: 'settle', refund, clear, forget, add, now })
    },
  }
}

/**
 * PostgreSQL: one statement takes a point on each of a request's counters (checks the checkOnly ones); when one
 * is spent out, a second gives the taken points back. Settling is one statement too. The database server does the fsyncs.
 */
function postgresStore(pool: pg.Pool, failed: (error: Failure, message?: string) => void): Store {
  return {
    async reserve(rows, now) {
      const params: unknown[] = [now]
      const values = rows.map((row) => {
        params.push(row.key, row.checkOnly ? 0 : 1, now + row.durationMs)
        return `($${params.length - 2}, $${params.length - 1}::integer, $${params.length})`
      })
      let result: pg.QueryResult<{ key: string; points: number; expire: string }>
      try {
        result = await pool.query(
          `insert into ${TABLE} (key, points, expire) values ${values.join(', ')}
           on conflict (key) do update set
             points = case when ${TABLE}.expire > $1 then ${TABLE}.points + excluded.points else excluded.points end,
             expire = case when ${TABLE}.expire > $1 then ${TABLE}.expire else excluded.expire end
           returning key, points, expire`,
          params,
        )
      } catch (error) {
        throw new Failure('consume', rows, error)
      }
      const rowByKey = new Map(rows.map((row) => [row.key, row]))
      let retryAfterMs = 0
      const refusedBy: LimitName[] = []
      for (const { key, points, expire } of result.rows) {
        const row = rowByKey.get(key)!
        // A checked counter is spent out when one more failure would be over its limit.
        if (points + (row.checkOnly ? 1 : 0) > row.points) {
          retryAfterMs = Math.max(retryAfterMs, Number(expire) - now)
          refusedBy.push(row.counter.limit)
        }
      }
      if (retryAfterMs === 0) return { allowed: true }
      const taken = rows.filter((row) => !row.checkOnly).map((row) => row.key)
      try {
        if (taken.length > 0) await pool.query(`update ${TABLE} set points = points - 1 where key = any($1) and expire > $2 and points > 0`, [taken, now])
      } catch (error) {
        // Still refused; the points stay taken until their window ends: stricter, never looser.
        failed(new Failure('reward', rows, error), 'rate limiter could not give back the points of a refused request')
      }
      return { allowed: false, retryAfterMs, refusedBy }
    },

    async settle(refund, clear, forget, add, now) {
      try {
        await pool.query(
          `with cleared as (delete from ${TABLE} where key = any($3)),
           forgotten as (delete from ${TABLE} where key = any($4) or exists (select 1 from unnest($5::text[]) as f(prefix) where starts_with(key, f.prefix))),
           added as (
             insert into ${TABLE} (key, points, expire) select k, 1, e from unnest($6::text[], $7::bigint[]) as a(k, e)
             on conflict (key) do update set
               points = case when ${TABLE}.expire > $2 then ${TABLE}.points + 1 else 1 end,
               expire = case when ${TABLE}.expire > $2 then ${TABLE}.expire else excluded.expire end)
           update ${TABLE} set points = points - 1 where key = any($1) and expire > $2 and points > 0`,
          [
            refund.map((row) => row.key),
            now,
            clear.map((row) => row.key),
            forget.map((row) => row.key),
            forget.map((row) => `${row.key}:`),
            add.map((row) => row.key),
            add.map((row) => now + row.durationMs),
          ],
        )
      } catch (error) {
        throw new Failure('settle', [...refund, ...clear, ...forget, ...add], error)
      }
    },
  }
}
