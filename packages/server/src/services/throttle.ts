import { createHmac } from 'node:crypto'
import { sql } from 'kysely'
import type { Logger } from 'pino'
import { RateLimiterPostgres, RateLimiterRes, RateLimiterSQLite } from 'rate-limiter-flexible'
import type { Db } from '../db/connect.js'

const MINUTE = 60
const HOUR = 60 * MINUTE

/**
 * Every limit, as `points` per fixed window of `duration` seconds, counted in the database so that all
 * server processes share them. Which requests spend a point is decided in src/http/throttle.ts.
 *
 * - Login: only failed attempts (wrong password or unknown email) count. 10 per account per 15 minutes
 *   stops online guessing of one password (≈1,000 guesses a day at most) while a person who mistypes
 *   still has plenty of tries; a success clears the account's count. 50 per client IP per 15 minutes
 *   stops one address spraying passwords over many accounts, and leaves room for an office behind one NAT.
 *   Unknown emails are counted exactly like real ones, so a 429 says nothing about whether an account exists.
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
  login_account: { points: 10, duration: 15 * MINUTE },
  profile_user: { points: 10, duration: 15 * MINUTE },
  signup_ip: { points: 20, duration: HOUR },
  forgot_ip: { points: 20, duration: HOUR },
  forgot_email: { points: 5, duration: HOUR },
  resend_ip: { points: 20, duration: HOUR },
  resend_target: { points: 5, duration: HOUR },
  invite_user: { points: 50, duration: HOUR },
} as const satisfies Record<string, { points: number; duration: number }>

export type LimitName = keyof typeof LIMITS

/** One counter: a limit and the thing it counts for (an IP, an account...), in clear; it is hashed before storing. */
export interface Counter {
  limit: LimitName
  key: string
}

export type Taken = { allowed: true; counted: Counter[] } | { allowed: false; retryAfterMs: number }

const TABLE = 'rate_limits'
/** Windows that ended this long ago are deleted by `sweep`. */
const SWEEP_AFTER_MS = HOUR * 1000

/**
 * Rate limits over `rate-limiter-flexible`, stored in our `rate_limits` table. Throttling fails open: when
 * the database can't count, the request goes through (and the failure is logged), so an outage of the
 * limiter never becomes an outage of logins; the request itself then meets the database and answers 503.
 *
 * `secret` keys the HMAC that turns emails and addresses into counter keys, so the table holds no emails
 * and its keys can't be reversed with a dictionary.
 */
export function throttleService(db: Db, logger: Logger, secret: string) {
  const limiters = {} as Record<LimitName, RateLimiterPostgres | RateLimiterSQLite>
  for (const [name, { points, duration }] of Object.entries(LIMITS) as [LimitName, (typeof LIMITS)[LimitName]][]) {
    // clearExpiredByTimeout is off: its timer rejects unhandled once the SQLite handle is closed; `sweep` does it.
    const common = { keyPrefix: name, points, duration, tableName: TABLE, tableCreated: true, clearExpiredByTimeout: false }
    limiters[name] =
      db.raw.kind === 'postgres'
        ? new RateLimiterPostgres({ ...common, storeClient: db.raw.pool, storeType: 'pool' })
        : new RateLimiterSQLite({ ...common, storeClient: db.raw.database, storeType: 'better-sqlite3' })
  }
  const hashKey = (key: string) => createHmac('sha256', secret).update('airlock throttle\n').update(key).digest('base64url')
  const failed = (operation: string, counter: Counter, error: unknown) =>
    logger.error({ err: error, limit: counter.limit, operation }, 'rate limiter unavailable; request let through')

  /** Gives back one point on each counter (the request it was taken for turned out not to count). */
  async function refund(counters: Counter[]): Promise<void> {
    for (const counter of counters) {
      try {
        await limiters[counter.limit].reward(hashKey(counter.key))
      } catch (error) {
        failed('reward', counter, error)
      }
    }
  }

  /**
   * Spends one point on each counter, in order. If one is spent out, the points already taken are given
   * back and the answer says how long to wait. A counter the database can't update is skipped (fail open).
   */
  async function take(counters: Counter[]): Promise<Taken> {
    const counted: Counter[] = []
    for (const counter of counters) {
      try {
        await limiters[counter.limit].consume(hashKey(counter.key))
        counted.push(counter)
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) {
          failed('consume', counter, error)
          continue
        }
        await refund(counted)
        return { allowed: false, retryAfterMs: error.msBeforeNext }
      }
    }
    return { allowed: true, counted }
  }

  /** Clears a counter (a successful login clears its account's failures). */
  async function reset(counter: Counter): Promise<void> {
    try {
      await limiters[counter.limit].delete(hashKey(counter.key))
    } catch (error) {
      failed('delete', counter, error)
    }
  }

  /** Deletes windows that ended more than an hour ago; any process may run it, any time. */
  async function sweep(now = Date.now()): Promise<void> {
    await sql`delete from ${sql.table(TABLE)} where expire < ${now - SWEEP_AFTER_MS}`.execute(db.kysely)
  }

  return { take, refund, reset, sweep }
}

export type ThrottleService = ReturnType<typeof throttleService>
