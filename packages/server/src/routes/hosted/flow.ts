import type { Context } from 'hono'
import type { User } from '../../db/repositories/users.js'
import type { LoginSession } from '../../db/repositories/sessions.js'
import { AppError } from '../../errors/app-error.js'
import { clearSessionCookie, readSessionCookie, writeSessionCookie } from '../../http/cookies.js'
import type { AppEnv } from '../../http/env.js'
import { checkRedirectUri, checkReturnTo, withToken } from '../../http/redirect-uri.js'
import type { Services } from '../../services/index.js'

/** Parameters that travel from page to page during a login (login → signup → back). */
const CARRIED = ['redirect_uri', 'return_to', 'account', 'nonce'] as const

/** The app middleware's browser-bound nonce (DESIGN §4); anything else is ignored rather than signed into a token. */
const NONCE = /^[A-Za-z0-9_-]{1,100}$/

export interface Flow {
  /** Where the app wants the browser back, already checked; null when the realm has no Login URL yet. */
  redirectUri: string | null
  /** A LoginRocket page to come back to instead (e.g. the profile). */
  returnTo: string | null
  /** `?redirect_uri=...` for links to the other pages. */
  carry: string
  /** The same parameters as hidden form fields. */
  hidden: Record<string, string | undefined>
}

/** Reads and checks the flow's parameters (query, or the form on POST); a foreign redirect_uri is refused outright. */
export async function readFlow(c: Context<AppEnv>): Promise<Flow> {
  const body = c.req.method === 'POST' ? await c.req.parseBody() : {}
  const param = (name: string) => {
    const value = body[name] ?? c.req.query(name)
    return typeof value === 'string' ? value : undefined
  }
  const rawRedirect = param('redirect_uri')
  const redirectUri = checkRedirectUri(c.get('realm'), rawRedirect)
  if (rawRedirect && redirectUri === null) {
    throw new AppError('invalid_redirect_uri', "The app sent you here with a return address this login page doesn't accept.", {
      redirect_uri: rawRedirect.slice(0, 200),
    })
  }
  const returnTo = checkReturnTo(param('return_to'))
  const carried: Record<string, string | undefined> = {
    redirect_uri: rawRedirect || undefined,
    return_to: returnTo ?? undefined,
    account: param('account')?.slice(0, 100) || undefined,
    nonce: NONCE.test(param('nonce') ?? '') ? param('nonce') : undefined,
  }
  const query = new URLSearchParams()
  for (const name of CARRIED) if (carried[name]) query.set(name, carried[name]!)
  const text = query.toString()
  return { redirectUri, returnTo, carry: text ? `?${text}` : '', hidden: carried }
}

/**
 * The parameters a page outside the login flow (profile, accounts) passes on to keep the way back to the app:
 * `redirect_uri`, and the app's nonce so that the token it finally gets is bound to this browser.
 */
export function backParams(flow: Flow): Record<string, string> {
  const { redirect_uri: redirectUri, nonce } = flow.hidden
  return { ...(redirectUri ? { redirect_uri: redirectUri } : {}), ...(nonce ? { nonce } : {}) }
}

/** The browser's live LoginRocket session and its user, if any. */
export async function browserLogin(c: Context<AppEnv>, services: Services): Promise<{ session: LoginSession; user: User } | null> {
  const realm = c.get('realm')
  const now = services.clock()
  const session = await services.sessions.fromSecret(realm, readSessionCookie(c), now)
  if (!session) return null
  const user = await services.users.byId(realm, session.userId)
  if (!user || user.state !== 'active') return null
  return { session, user }
}

/** Sends the browser to the app with a fresh token, or to the LoginRocket page it came from. */
export async function sendBack(c: Context<AppEnv>, services: Services, flow: Flow, user: User, session: LoginSession): Promise<Response> {
  if (flow.returnTo) return c.redirect(flow.returnTo, 303)
  if (!flow.redirectUri) return c.redirect('/profile', 303)
  const realm = c.get('realm')
  const token = await services.tokens.issue(realm, c.get('loginrocketUrl'), user, session, services.clock(), {
    account: flow.hidden.account,
    nonce: flow.hidden.nonce,
  })
  c.header('Cache-Control', 'no-store')
  c.header('Referrer-Policy', 'no-referrer')
  return c.redirect(withToken(flow.redirectUri, token), 303)
}

/** Starts a LoginRocket session for the user in this browser (replacing the one it had), then sends it back. */
export async function completeLogin(c: Context<AppEnv>, services: Services, flow: Flow, user: User): Promise<Response> {
  const { session, secret, user: loggedIn } = await services.sessions.logIn(
    c.get('realm'),
    user,
    { previousSecret: readSessionCookie(c), userAgent: c.req.header('user-agent') ?? null, ip: c.get('clientIp') },
    services.clock(),
  )
  writeSessionCookie(c, secret, session.expiresAt)
  return sendBack(c, services, flow, loggedIn, session)
}

export function forgetBrowser(c: Context<AppEnv>): void {
  clearSessionCookie(c)
}

/** Sends a browser without a LoginRocket session to log in, then back to `returnTo` (a path on LoginRocket). */
export function loginFirst(c: Context<AppEnv>, returnTo: string): Response {
  return c.redirect(`/login?${new URLSearchParams({ return_to: returnTo })}`, 303)
}
