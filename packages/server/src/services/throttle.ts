import { createHmac } from 'node:crypto'
import type { Logger } from 'pino'
import type { Db } from '../db/connect.js'
import { RateLimitFailure, rateLimitRepository, type RateLimitWindow } from '../db/repositories/rate-limits.js'

const MINUTE = 60
const HOUR = 60 * MINUTE

/**
 * Every limit, as `points` per fixed window of `duration` seconds, counted in the database so that all
 * server processes share them. Which requests spend a point is decided by the rules in src/http/throttle-rules.ts,
 * each route naming its own.
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

/** Windows that ended this long ago are deleted by `sweep`. */
const SWEEP_AFTER_MS = HOUR * 1000

/** A counter as stored (its row key: `<limit>:<HMAC of the key>`), and the counter it is. */
interface Row extends RateLimitWindow<LimitName> {
  counter: Counter
}

/**
 * Rate limits as fixed windows in the database (db/repositories/rate-limits.ts). Throttling fails open: when the
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
    limit: counter.limit,
    key: `${counter.limit}:${hashKey(counter.key)}${counter.address === undefined ? '' : `:${hashKey(counter.address)}`}`,
    points: LIMITS[counter.limit].points,
    durationMs: LIMITS[counter.limit].duration * 1000,
    checkOnly: FAILURE_LIMITS.has(counter.limit),
  })
  const failed = (error: unknown, message = 'rate limiter unavailable; request let through') => {
    const { operation, windows, cause } = error instanceof RateLimitFailure ? error : { operation: 'write', windows: [], cause: error }
    for (const window of windows) logger.error({ err: cause, limit: window.limit, operation }, message)
    if (windows.length === 0) logger.error({ err: cause, operation }, message)
  }
  const store = rateLimitRepository(db, failed)

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
    await store.sweep(now - SWEEP_AFTER_MS)
  }

  return { take, settle, sweep }
}

export type ThrottleService = ReturnType<typeof throttleService>
