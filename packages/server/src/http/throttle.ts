import { isIPv4, isIPv6 } from 'node:net'
import type { Context, MiddlewareHandler } from 'hono'
import { normalizeEmail } from '../domain/user.js'
import { AppError } from '../errors/app-error.js'
import type { Services } from '../services/index.js'
import { loginCounters, throttleService, type Counter, type LimitName, type ThrottleService } from '../services/throttle.js'
import type { AppEnv } from './env.js'
import { inFlightGate } from './in-flight.js'

export type Form = Record<string, unknown>

/**
 * Counters of one account's failures that its owner's success clears: the login one of this address only
 * (an attacker elsewhere keeps their count), and the profile's.
 */
const ACCOUNT_LIMITS = new Set<LimitName>(['login_account_ip', 'profile_user'])

/** What a response means for the points its request took: keep them, give them back, or (login) clear the account's. */
export type Outcome = 'keep' | 'refund' | 'success'

/**
 * Logins per client address that run at once in one process; more wait their turn. `login_ip` counts failures
 * only (src/services/throttle.ts), so guesses sent all at once are checked before any has failed: this bounds
 * how far past the limit they get (by this many per process), while a crowd behind one NAT only waits a moment.
 */
export const LOGIN_IN_FLIGHT_PER_ADDRESS = 20

const SWEEP_EVERY_MS = 5 * 60_000

/** The rate limiter one process shares between its routes: the counters, the logins in flight, the sweeps. */
export interface RateLimiter {
  services: Services
  counters: ThrottleService
  logins: ReturnType<typeof inFlightGate>
  /** Deletes old windows now and then (at most every SWEEP_EVERY_MS), in the background. */
  sweepNowAndThen(): void
}

/** How a route's POSTs are throttled (the numbers are in src/services/throttle.ts; the rules in ./throttle-rules.ts). */
export interface ThrottleRule {
  /** When set, at most LOGIN_IN_FLIGHT_PER_ADDRESS of these requests per client address run at once. */
  gated?: boolean
  /** The counters one request spends a point on, most general first. */
  counters(c: Context<AppEnv>, form: Form, limiter: RateLimiter): Promise<Counter[]> | Counter[]
  settle(status: number): Outcome
  /** What a refused request is told, when it says more than the time left (`wait`, e.g. "15 minutes"). */
  refused?(c: Context<AppEnv>, form: Form, refusedBy: LimitName[], wait: string, limiter: RateLimiter): Promise<Refusal>
}

export interface Refusal {
  message: string
  /** The way out the error page offers (e.g. a reset link). */
  link?: { href: string; text: string }
}

/** The realm and the email as the users table compares it (NFKC, trimmed, lower case), known or not. */
export function accountKey(c: Context<AppEnv>, email: string): string {
  return `${c.get('realm').id}\n${normalizeEmail(email)}`
}

/** An admin's login counters' key: their email as the admins table compares it. */
export function adminAccountKey(email: string): string {
  return `admin\n${normalizeEmail(email)}`
}

/**
 * Clears an account's failed logins, from every address: called when a password reset completes, which only
 * the owner of the mailbox can do.
 */
export function forgetLoginFailures(c: Context<AppEnv>, email: string): Promise<void> {
  return c.get('throttle').counters.settle({ refund: [], clear: [], forget: loginCounters(accountKey(c, email)) })
}

/**
 * The client's address as a counter key: IPv4 as is (also when IPv4-mapped), IPv6 by its /64, since one
 * machine usually holds a whole /64 and could otherwise take a fresh address for every attempt.
 */
export function clientKey(ip: string): string {
  const bare = ip.replace(/%.*$/, '')
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1]
  if (mapped && isIPv4(mapped)) return mapped
  if (!isIPv6(bare)) return bare
  const [head = '', tail] = bare.toLowerCase().split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  // An embedded IPv4 tail (a:b::1.2.3.4) is two groups; only the first four groups matter here anyway.
  const width = right.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0) + left.length
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - width)).fill('0'), ...right]
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`
}

/**
 * Puts the rate limiter on every request's context, over counters in the database; a route opts in with
 * `throttled(rule)`. One per process, so that the routes share the logins in flight and the sweeps.
 */
export function rateLimiter(services: Services, secret: string): MiddlewareHandler<AppEnv> {
  let lastSweep = Date.now()
  const limiter: RateLimiter = {
    services,
    counters: throttleService(services.db, services.logger, secret),
    logins: inFlightGate(LOGIN_IN_FLIGHT_PER_ADDRESS),
    sweepNowAndThen() {
      if (Date.now() - lastSweep <= SWEEP_EVERY_MS) return
      lastSweep = Date.now()
      limiter.counters
        .sweep()
        .catch((error: unknown) => services.logger.warn({ err: error }, 'could not sweep old rate-limit windows'))
    },
  }
  return async function rateLimiter(c, next) {
    c.set('throttle', limiter)
    await next()
  }
}

/**
 * Throttles the route it is put in front of by `rule`. A request over a limit gets the error page with 429
 * and `Retry-After`; the route never runs. Runs after the CSRF check (a route's own middleware runs after the
 * app's), so forged or expired forms spend nothing.
 */
export function throttled(rule: ThrottleRule): MiddlewareHandler<AppEnv> {
  return async function throttled(c, next) {
    const limiter = c.get('throttle')
    const limits = limiter.counters
    const form = await c.req.parseBody()
    const counters = await rule.counters(c, form, limiter)
    const leave = rule.gated ? await limiter.logins.enter(clientKey(c.get('clientIp'))) : undefined
    try {
      const taken = await limits.take(counters)
      if (!taken.allowed) {
        limiter.services.metrics.rateLimited(taken.refusedBy)
        const seconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000))
        const minutes = Math.ceil(seconds / 60)
        const wait = `${minutes} minute${minutes === 1 ? '' : 's'}`
        const refusal: Refusal = rule.refused
          ? await rule.refused(c, form, taken.refusedBy, wait, limiter)
          : { message: `Too many attempts. Try again in ${wait}.` }
        const details = refusal.link ? { link: refusal.link } : undefined
        throw new AppError('rate_limited', refusal.message, details, { 'Retry-After': String(seconds) })
      }

      let outcome: Outcome = 'refund'
      try {
        await next()
        outcome = rule.settle(c.res.status)
      } finally {
        if (outcome === 'refund') await limits.settle({ refund: taken.counted, clear: [] })
        // A failure: the counters that count failures only (the address's) get their point now.
        if (outcome === 'keep' && taken.checked.length > 0) await limits.settle({ refund: [], clear: [], add: taken.checked })
        if (outcome === 'success') {
          // The account starts afresh from this address; its overall counter gets its point back.
          await limits.settle({
            refund: taken.counted.filter((counter) => !ACCOUNT_LIMITS.has(counter.limit)),
            clear: counters.filter((counter) => ACCOUNT_LIMITS.has(counter.limit)),
          })
        }
      }
    } finally {
      leave?.()
    }
    limiter.sweepNowAndThen()
  }
}
