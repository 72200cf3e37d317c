import type SQLite from 'better-sqlite3'
import type pg from 'pg'
import type { Db } from '../connect.js'

const TABLE = 'rate_limits'

/** A counter as stored: its row key, and its window's rules. `L` names the limit it belongs to. */
export interface RateLimitWindow<L extends string = string> {
  /** The row key (`<limit>:<hash>`, maybe `:<hash of an address>`). */
  key: string
  limit: L
  points: number
  durationMs: number
  /** A counter that counts failures only: `reserve` checks it without taking a point. */
  checkOnly: boolean
}

/** The answer for one request's counters: all taken, or none (the wait until the fullest one resets, and which are spent out). */
export type Reserved<L extends string = string> = { allowed: true } | { allowed: false; retryAfterMs: number; refusedBy: L[] }

/** A write of the limiter that failed, with the windows it was about (for the log). */
export class RateLimitFailure extends Error {
  constructor(
    readonly operation: 'consume' | 'reward' | 'settle',
    readonly windows: RateLimitWindow[],
    override readonly cause: unknown,
  ) {
    super(`rate limiter ${operation} failed`)
  }
}

/** Hears of failures no caller waits for: a settlement SQLite wrote later, PostgreSQL's give-back of a refused request. */
export type FailureReport = (failure: RateLimitFailure, message?: string) => void

export interface RateLimitRepository {
  /** Takes a point on every window (checks the `checkOnly` ones), or on none when one of them is spent out. */
  reserve<L extends string>(windows: RateLimitWindow<L>[], now: number): Promise<Reserved<L>>
  /**
   * Gives points back and deletes counters, `forget` ones with every row whose key starts with theirs and
   * ':'; adds a point to `add` ones. May be applied a moment later (SQLite batches it), never earlier.
   * Throws a RateLimitFailure when the database refuses it.
   */
  settle(refund: RateLimitWindow[], clear: RateLimitWindow[], forget: RateLimitWindow[], add: RateLimitWindow[], now: number): Promise<void>
  /** Deletes windows that ended before `before` (epoch ms). */
  sweep(before: number): Promise<void>
}

/**
 * The rate limiter's counters in our `rate_limits` table, as fixed windows: a row per counter (`key`, `points`
 * spent, `expire`: the window's end in epoch ms). A request's windows are reserved together, in one statement
 * or transaction: concurrent requests can never spend more than a limit's points, in one process or across many.
 * A request refused writes nothing. Each database gets its own statements, written for its hot path.
 */
export function rateLimitRepository(db: Db, reportFailure: FailureReport): RateLimitRepository {
  const store = db.raw.kind === 'postgres' ? postgresStore(db.raw.pool, reportFailure) : sqliteStore(db.raw, reportFailure)
  return {
    ...store,
    async sweep(before) {
      await db.kysely.deleteFrom(TABLE).where('expire', '<', before).execute()
    },
  }
}

type Store = Pick<RateLimitRepository, 'reserve' | 'settle'>

class Refused extends Error {
  constructor(
    readonly retryAfterMs: number,
    readonly refusedBy: string[],
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
 * it is written after it. Statements come from the connection's cache (connect.ts): prepared once.
 */
function sqliteStore(raw: { database: SQLite.Database; prepare(sql: string): SQLite.Statement }, reportFailure: FailureReport): Store {
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
    | { kind: 'reserve'; windows: RateLimitWindow[]; now: number; done(result: Reserved): void; fail(error: RateLimitFailure): void }
    | { kind: 'settle'; refund: RateLimitWindow[]; clear: RateLimitWindow[]; forget: RateLimitWindow[]; add: RateLimitWindow[]; now: number; done?: () => void }

  /** One op, in its own transaction or, inside a batch, its own savepoint; a refused reservation rolls back. */
  const apply = database.transaction((op: Op): Reserved => {
    if (op.kind === 'settle') {
      for (const window of op.refund) prepare(REFUND).run(window.key, op.now)
      for (const window of op.clear) prepare(CLEAR).run(window.key)
      for (const window of op.forget) prepare(FORGET).run(window.key, `${window.key}:`, `${window.key}:`)
      for (const window of op.add) prepare(UPSERT).get({ key: window.key, add: 1, expire: op.now + window.durationMs, now: op.now })
      return { allowed: true }
    }
    let retryAfterMs = 0
    const refusedBy: string[] = []
    for (const window of op.windows) {
      const add = window.checkOnly ? 0 : 1
      const { points, expire } = prepare(UPSERT).get({ key: window.key, add, expire: op.now + window.durationMs, now: op.now }) as { points: number; expire: number }
      // A checked counter is spent out when one more failure would be over its limit.
      if (points + 1 - add > window.points) {
        retryAfterMs = Math.max(retryAfterMs, expire - op.now)
        refusedBy.push(window.limit)
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
          const failure =
            op.kind === 'reserve'
              ? new RateLimitFailure('consume', op.windows, error)
              : new RateLimitFailure('settle', [...op.refund, ...op.clear, ...op.forget, ...op.add], error)
          if (op.kind === 'reserve') op.fail(failure)
          // Settlements still queued when the server closes its database are dropped: their points stay taken.
          else {
            if (database.open) reportFailure(failure)
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
    reserve: <L extends string>(windows: RateLimitWindow<L>[], now: number) =>
      // The refused limits are read from these windows, so they are `L`s.
      new Promise<Reserved>((done, fail) => enqueue({ kind: 'reserve', windows, now, done, fail })) as Promise<Reserved<L>>,
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
function postgresStore(pool: pg.Pool, reportFailure: FailureReport): Store {
  return {
    async reserve<L extends string>(windows: RateLimitWindow<L>[], now: number): Promise<Reserved<L>> {
      const params: unknown[] = [now]
      const values = windows.map((window) => {
        params.push(window.key, window.checkOnly ? 0 : 1, now + window.durationMs)
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
        throw new RateLimitFailure('consume', windows, error)
      }
      const windowByKey = new Map(windows.map((window) => [window.key, window]))
      let retryAfterMs = 0
      const refusedBy: L[] = []
      for (const { key, points, expire } of result.rows) {
        const window = windowByKey.get(key)!
        // A checked counter is spent out when one more failure would be over its limit.
        if (points + (window.checkOnly ? 1 : 0) > window.points) {
          retryAfterMs = Math.max(retryAfterMs, Number(expire) - now)
          refusedBy.push(window.limit)
        }
      }
      if (retryAfterMs === 0) return { allowed: true }
      const taken = windows.filter((window) => !window.checkOnly).map((window) => window.key)
      try {
        if (taken.length > 0) await pool.query(`update ${TABLE} set points = points - 1 where key = any($1) and expire > $2 and points > 0`, [taken, now])
      } catch (error) {
        // Still refused; the points stay taken until their window ends: stricter, never looser.
        reportFailure(new RateLimitFailure('reward', windows, error), 'rate limiter could not give back the points of a refused request')
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
            refund.map((window) => window.key),
            now,
            clear.map((window) => window.key),
            forget.map((window) => window.key),
            forget.map((window) => `${window.key}:`),
            add.map((window) => window.key),
            add.map((window) => now + window.durationMs),
          ],
        )
      } catch (error) {
        throw new RateLimitFailure('settle', [...refund, ...clear, ...forget, ...add], error)
      }
    },
  }
}
