import { isIPv4, isIPv6 } from 'node:net'
import type { Context, MiddlewareHandler } from 'hono'
import { normalizeEmail } from '../domain/user.js'
import { AppError } from '../errors/app-error.js'
import { readFlow } from './flow.js'
import type { Services } from '../services/index.js'
import { sendLockoutWarning } from '../services/lockout-mail.js'
import { loginCounters, throttleService, type Counter, type LimitName, type ThrottleService } from '../services/throttle.js'
import { field } from '../domain/validation.js'
import { readSessionCookie } from './cookies.js'
import type { AppEnv } from './env.js'
import { inFlightGate } from './in-flight.js'

type Form = Record<string, unknown>

/**
 * Counters of one account's failures that its owner's success clears: the login one of this address only
 * (an attacker elsewhere keeps their count), and the profile's.
 */
const ACCOUNT_LIMITS = new Set<LimitName>(['login_account_ip', 'profile_user'])

/** What a response means for the points its request took: keep them, give them back, or (login) clear the account's. */
type Outcome = 'keep' | 'refund' | 'success'

/**
 * Logins per client address that run at once in one process; more wait their turn. `login_ip` counts failures
 * only (src/services/throttle.ts), so guesses sent all at once are checked before any has failed: this bounds
 * how far past the limit they get (by this many per process), while a crowd behind one NAT only waits a moment.
 */
export const LOGIN_IN_FLIGHT_PER_ADDRESS = 20

interface Rule {
  /** When set, at most LOGIN_IN_FLIGHT_PER_ADDRESS of these requests per client address run at once. */
  gated?: boolean
  /** The counters one request spends a point on, most general first. */
  counters(c: Context<AppEnv>, form: Form): Promise<Counter[]> | Counter[]
  settle(status: number): Outcome
  /** The error a refused request gets, when it says more than the time left (`wait`, e.g. "15 minutes"). */
  refused?(c: Context<AppEnv>, form: Form, refusedBy: LimitName[], wait: string): Promise<AppError>
}

/**
 * A form counts when the route acted on it: it did what was asked (2xx, 3xx) or refused the values (422).
 * A form refused before that (a bad return address, 400; signup closed, 403) or that we failed (5xx) doesn't.
 */
const countHandled = (status: number): Outcome => (status < 400 || status === 422 ? 'keep' : 'refund')
/** Forms that check a password count their refusals; a success clears the account's counter. */
const countFailures = (failed: number) => (status: number): Outcome =>
  status === failed ? 'keep' : status >= 300 && status < 400 ? 'success' : 'refund'

/** Forms that mail an invitation: `/accounts/<org>/invitations` and `/accounts/<org>/invitations/<id>/resend`. */
const INVITATION_MAIL = /^\/accounts\/[^/]+\/invitations(?:\/[^/]+\/resend)?$/
/** Only a form that did what it was asked (a redirect) sent a mail. */
const countRedirects = (status: number): Outcome => (status >= 300 && status < 400 ? 'keep' : 'refund')

/**
 * Which POSTs are throttled and how (the numbers are in src/services/throttle.ts). Keys are the exact paths
 * the router matches (`c.req.path` is the decoded path it routes on). Login counts failures only: the 401 of
 * a wrong password or unknown email; a redirect is a success and clears the account's counter; anything
 * else (a bad form, a disabled account, an outage) gives the points back. `/reset` is deliberately absent:
 * its links carry 256 random bits, and nothing an attacker does elsewhere may stand in the owner's way.
 */
function rules(services: Services, limits: ThrottleService): Record<string, Rule> {
  const ip = (c: Context<AppEnv>) => clientKey(c.get('clientIp'))

  /**
   * The per-account login limit (all addresses together) was hit: someone is guessing this password. Its
   * owner gets a mail, at most once an hour (a counter of its own), sent after the answer so that the answer
   * takes as long whether the email has an account or not.
   */
  function warnOwner(c: Context<AppEnv>, email: string): void {
    const realm = c.get('realm')
    const loginrocketUrl = c.get('loginrocketUrl')
    const warn = async () => {
      const once = await limits.take([{ limit: 'lockout_mail', key: accountKey(c, email) }])
      if (!once.allowed) return
      const user = await services.users.byEmail(realm, email)
      if (user && user.state === 'active') sendLockoutWarning(services, realm, loginrocketUrl, user)
    }
    warn().catch((error: unknown) => services.logger.error({ err: error }, 'could not warn the owner of an account under attack'))
  }

  /** The user whose LoginRocket session this browser holds, or null (the route then sends it to log in). */
  async function loggedInUser(c: Context<AppEnv>): Promise<string | null> {
    try {
      const session = await services.sessions.fromSecret(c.get('realm'), readSessionCookie(c), services.clock())
      return session ? `${session.realmId}\nuser ${session.userId}` : null
    } catch (error) {
      services.logger.error({ err: error }, 'rate limiter could not read the session; request let through')
      return null
    }
  }
  const sessionUser = async (c: Context<AppEnv>): Promise<Counter[]> => {
    const user = await loggedInUser(c)
    return user ? [{ limit: 'profile_user', key: user }] : []
  }
  return {
    '/login': {
      gated: true,
      counters: (c, form) => [{ limit: 'login_ip', key: ip(c) }, ...loginCounters(accountKey(c, field(form, 'email')), ip(c))],
      settle: countFailures(401),
      // A way out that no attacker can block: a reset link, which clears the account's counters once used.
      async refused(c, form, refusedBy, wait) {
        if (refusedBy.includes('login_account')) warnOwner(c, field(form, 'email'))
        const carry = await readFlow(c).then((flow) => flow.carry, () => '')
        return new AppError('rate_limited', `Too many attempts. Try again in ${wait}.`, { link: { href: `/forgot${carry}`, text: 'Forgot your password?' } })
      },
    },
    // The admin portal's login: the same limits and counting, over the admins' own emails.
    '/admin/login': {
      gated: true,
      counters: (c, form) => [{ limit: 'login_ip', key: ip(c) }, ...loginCounters(adminAccountKey(field(form, 'email')), ip(c))],
      settle: countFailures(401),
      async refused(_c, _form, _refusedBy, wait) {
        return new AppError(
          'rate_limited',
          `Too many attempts. Try again in ${wait}. An admin can also set a new password on the server: airlock admin reset-password --email EMAIL.`,
        )
      },
    },
    '/signup': {
      counters: (c) => [{ limit: 'signup_ip', key: ip(c) }],
      settle: countHandled,
    },
    '/forgot': {
      counters: (c, form) => [
        { limit: 'forgot_ip', key: ip(c) },
        { limit: 'forgot_email', key: accountKey(c, field(form, 'email')) },
      ],
      settle: countHandled,
    },
    // Both check the current password (a 422 when it, or anything else in the form, is wrong).
    '/profile/password': { counters: sessionUser, settle: countFailures(422) },
    '/profile/email': { counters: sessionUser, settle: countFailures(422) },
    // Paths with ids in them are matched by pattern (see `ruleFor`).
    invitationMail: {
      async counters(c) {
        const user = await loggedInUser(c)
        return user ? [{ limit: 'invite_user', key: user }] : []
      },
      settle: countRedirects,
    },
    '/verify/resend': {
      // Per target: the email the form names and the logged-in user, whichever are there.
      async counters(c, form) {
        const counters: Counter[] = [{ limit: 'resend_ip', key: ip(c) }]
        const email = field(form, 'email')
        if (email) counters.push({ limit: 'resend_target', key: accountKey(c, email) })
        const user = await loggedInUser(c)
        if (user) counters.push({ limit: 'resend_target', key: user })
        return counters
      },
      settle: countHandled,
    },
  }
}

/** The realm and the email as the users table compares it (NFKC, trimmed, lower case), known or not. */
function accountKey(c: Context<AppEnv>, email: string): string {
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
  return c.get('throttle').settle({ refund: [], clear: [], forget: loginCounters(accountKey(c, email)) })
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
 * Throttles logins (the hosted pages' and the admin portal's), the profile's password checks, signups, and password-reset, verification and invitation
 * mails (see `rules`), over counters in the database. A request over a limit gets the error page with 429
 * and `Retry-After`; the route never runs. Runs after the CSRF check, so forged or expired forms spend nothing.
 */
export function throttle(services: Services, secret: string): MiddlewareHandler<AppEnv> {
  const limits: ThrottleService = throttleService(services.db, services.logger, secret)
  const byPath = rules(services, limits)
  const logins = inFlightGate(LOGIN_IN_FLIGHT_PER_ADDRESS)
  const SWEEP_EVERY_MS = 5 * 60_000
  let lastSweep = Date.now()

  return async function throttle(c, next) {
    c.set('throttle', limits)
    const rule = c.req.method !== 'POST' ? undefined : Object.hasOwn(byPath, c.req.path) ? byPath[c.req.path] : INVITATION_MAIL.test(c.req.path) ? byPath.invitationMail : undefined
    if (!rule) return next()

    const form = await c.req.parseBody()
    const counters = await rule.counters(c, form)
    const leave = rule.gated ? await logins.enter(clientKey(c.get('clientIp'))) : undefined
    try {
      const taken = await limits.take(counters)
      if (!taken.allowed) {
        services.metrics.rateLimited(taken.refusedBy)
        const seconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000))
        const minutes = Math.ceil(seconds / 60)
        const wait = `${minutes} minute${minutes === 1 ? '' : 's'}`
        c.header('Retry-After', String(seconds))
        throw rule.refused ? await rule.refused(c, form, taken.refusedBy, wait) : new AppError('rate_limited', `Too many attempts. Try again in ${wait}.`)
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

    if (Date.now() - lastSweep > SWEEP_EVERY_MS) {
      lastSweep = Date.now()
      limits.sweep().catch((error: unknown) => services.logger.warn({ err: error }, 'could not sweep old rate-limit windows'))
    }
  }
}
