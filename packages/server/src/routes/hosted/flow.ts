import type { Context } from 'hono'
import type { User } from '../../domain/user.js'
import type { LoginSession } from '../../domain/session.js'
import { clearSessionCookie, readSessionCookie, writeSessionCookie } from '../../http/cookies.js'
import type { AppEnv } from '../../http/env.js'
import type { Flow } from '../../http/flow.js'
import { withToken } from '../../http/redirect-uri.js'
import type { Services } from '../../services/index.js'

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
