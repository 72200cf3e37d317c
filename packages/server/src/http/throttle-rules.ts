import type { Context } from 'hono'
import { field } from '../domain/validation.js'
import { sendLockoutWarning } from '../services/lockout-mail.js'
import { loginCounters, type Counter } from '../services/throttle.js'
import { readSessionCookie } from './cookies.js'
import type { AppEnv } from './env.js'
import { readFlow } from './flow.js'
import { accountKey, adminAccountKey, clientKey, type Outcome, type RateLimiter, type ThrottleRule } from './throttle.js'

/**
 * How each throttled form spends and settles its points, put in front of its route with `throttled(rule)`
 * (the numbers are in src/services/throttle.ts). Login counts failures only: the 401 of a wrong password or
 * unknown email; a redirect is a success and clears the account's counter; anything else (a bad form, a
 * disabled account, an outage) gives the points back. `/reset` has no rule, deliberately: its links carry 256
 * random bits, and nothing an attacker does elsewhere may stand in the owner's way.
 */

/**
 * A form counts when the route acted on it: it did what was asked (2xx, 3xx) or refused the values (422).
 * A form refused before that (a bad return address, 400; signup closed, 403) or that we failed (5xx) doesn't.
 */
const countHandled = (status: number): Outcome => (status < 400 || status === 422 ? 'keep' : 'refund')
/** Forms that check a password count their refusals; a success clears the account's counter. */
const countFailures = (failed: number) => (status: number): Outcome =>
  status === failed ? 'keep' : status >= 300 && status < 400 ? 'success' : 'refund'
/** Only a form that did what it was asked (a redirect) sent a mail. */
const countRedirects = (status: number): Outcome => (status >= 300 && status < 400 ? 'keep' : 'refund')

const ip = (c: Context<AppEnv>) => clientKey(c.get('clientIp'))

/**
 * The per-account login limit (all addresses together) was hit: someone is guessing this password. Its
 * owner gets a mail, at most once an hour (a counter of its own), sent after the answer so that the answer
 * takes as long whether the email has an account or not.
 */
function warnOwner(c: Context<AppEnv>, email: string, { services, counters }: RateLimiter): void {
  const realm = c.get('realm')
  const loginrocketUrl = c.get('loginrocketUrl')
  const warn = async () => {
    const once = await counters.take([{ limit: 'lockout_mail', key: accountKey(c, email) }])
    if (!once.allowed) return
    const user = await services.users.byEmail(realm, email)
    if (user && user.state === 'active') sendLockoutWarning(services, realm, loginrocketUrl, user)
  }
  warn().catch((error: unknown) => services.logger.error({ err: error }, 'could not warn the owner of an account under attack'))
}

/** The user whose LoginRocket session this browser holds, or null (the route then sends it to log in). */
async function loggedInUser(c: Context<AppEnv>, { services }: RateLimiter): Promise<string | null> {
  try {
    const session = await services.sessions.fromSecret(c.get('realm'), readSessionCookie(c), services.clock())
    return session ? `${session.realmId}\nuser ${session.userId}` : null
  } catch (error) {
    services.logger.error({ err: error }, 'rate limiter could not read the session; request let through')
    return null
  }
}

/** POST /login. */
export const loginRule: ThrottleRule = {
  gated: true,
  counters: (c, form) => [{ limit: 'login_ip', key: ip(c) }, ...loginCounters(accountKey(c, field(form, 'email')), ip(c))],
  settle: countFailures(401),
  // A way out that no attacker can block: a reset link, which clears the account's counters once used.
  async refused(c, form, refusedBy, wait, limiter) {
    if (refusedBy.includes('login_account')) warnOwner(c, field(form, 'email'), limiter)
    const carry = await readFlow(c).then((flow) => flow.carry, () => '')
    const link = { href: `/forgot${carry}`, text: 'Forgot your password?' }
    return { message: `Too many attempts. Try again in ${wait}.`, link }
  },
}

/** POST /admin/login: the same limits and counting as /login, over the admins' own emails. */
export const adminLoginRule: ThrottleRule = {
  gated: true,
  counters: (c, form) => [{ limit: 'login_ip', key: ip(c) }, ...loginCounters(adminAccountKey(field(form, 'email')), ip(c))],
  settle: countFailures(401),
  async refused(_c, _form, _refusedBy, wait) {
    return {
      message:
        `Too many attempts. Try again in ${wait}. ` +
        'An admin can also set a new password on the server: airlock admin reset-password --email EMAIL.',
    }
  },
}

/** POST /signup. */
export const signupRule: ThrottleRule = {
  counters: (c) => [{ limit: 'signup_ip', key: ip(c) }],
  settle: countHandled,
}

/** POST /forgot. */
export const forgotRule: ThrottleRule = {
  counters: (c, form) => [
    { limit: 'forgot_ip', key: ip(c) },
    { limit: 'forgot_email', key: accountKey(c, field(form, 'email')) },
  ],
  settle: countHandled,
}

/** The profile's forms that check the current password (a 422 when it, or anything else in the form, is wrong). */
export const passwordCheckRule: ThrottleRule = {
  async counters(c, _form, limiter) {
    const user = await loggedInUser(c, limiter)
    return user ? [{ limit: 'profile_user', key: user }] : []
  },
  settle: countFailures(422),
}

/** Forms that mail an invitation: inviting, sending again. */
export const invitationMailRule: ThrottleRule = {
  async counters(c, _form, limiter) {
    const user = await loggedInUser(c, limiter)
    return user ? [{ limit: 'invite_user', key: user }] : []
  },
  settle: countRedirects,
}

/** POST /verify/resend: per target, the email the form names and the logged-in user, whichever are there. */
export const resendRule: ThrottleRule = {
  async counters(c, form, limiter) {
    const counters: Counter[] = [{ limit: 'resend_ip', key: ip(c) }]
    const email = field(form, 'email')
    if (email) counters.push({ limit: 'resend_target', key: accountKey(c, email) })
    const user = await loggedInUser(c, limiter)
    if (user) counters.push({ limit: 'resend_target', key: user })
    return counters
  },
  settle: countHandled,
}
