import type { Request, Response } from 'express'
import type { Context } from './context.js'
import { readCookie } from './cookie.js'
import { nonceCookie } from './handoff.js'
import type { Verification } from './verify.js'

/**
 * A `?token=` that fails verification is dropped, and the page that needs a login sends the browser to LoginRocket
 * for another, once: a stale bookmark is normal. When the next token is refused too, the app's settings and the
 * realm's disagree (issuer, key, algorithm, clock) and every further trip would end the same way, silently, in a
 * loop. This cookie remembers the refusal for a minute; the second in a row stops at an error page for the developer.
 */
export const REFUSED_COOKIE = 'arTokenRefused'
const REFUSED_MS = 60 * 1000
const AGAIN = '.again'

type Refused = Exclude<Verification, { status: 'valid' }>
export type Cause = 'expired' | Extract<Refused, { status: 'invalid' }>['reason']
const CAUSES: ReadonlySet<string> = new Set<Cause>(['expired', 'malformed', 'unknown_key', 'signature', 'claims', 'issuer', 'algorithm', 'future'])

/** What this process learnt of each cause (the last refusal's details), and which causes it has logged. */
export interface RefusalLog {
  messages: Map<Cause, string>
  logged: Set<Cause>
}

export function refusalLog(): RefusalLog {
  return { messages: new Map(), logged: new Set() }
}

const at = (seconds: number) => new Date(seconds * 1000).toISOString()
const LEEWAY = 'the leeway is 5 seconds'
const CLOCKS = "Synchronise this server's clock and LoginRocket's (NTP)"

/** Why the token was refused and which setting to fix, for the app's developer. */
function explain(ctx: Context, refused: Refused): string {
  const { loginrocketUrl, staticKey, issuer } = ctx.options
  const now = Date.now() / 1000
  if (refused.status === 'expired') {
    const late = Math.round(now - refused.claims.exp)
    return `The login token had already expired when it arrived (exp ${at(refused.claims.exp)}, ${late} seconds before this server's clock; ${LEEWAY}). ${CLOCKS}.`
  }
  switch (refused.reason) {
    case 'issuer':
      return (
        `The login token's issuer ${refused.found} isn't the expected ${refused.expected}. Set the realm's issuer, or this app's ` +
        `authrocket.issuer option, so that they agree` +
        (issuer === null ? ` (without the option, the app reads the issuer from ${loginrocketUrl}/.well-known/openid-configuration).` : '.')
      )
    case 'algorithm':
      return (
        `The login token is signed with ${refused.found ?? 'an unknown algorithm'} but this app expects ${refused.expected}. ` +
        (refused.expected === 'RS256'
          ? "If the realm signs with HS256 (jwt_algo=hs256), set AUTHROCKET_JWT_KEY (authrocket.jwtKey) to its jsk_ key from the realm's Integration page."
          : 'The realm signs with RS256: remove AUTHROCKET_JWT_KEY (authrocket.jwtKey) to read its keys from the JWKS, or set it to the public key.')
      )
    case 'unknown_key':
      return (
        `The login token is signed with key ${refused.found ?? '(no kid)'}, which ${loginrocketUrl}/connect/jwks doesn't publish. ` +
        "Check that LOGINROCKET_URL (authrocket.loginrocketUrl) is the URL of the realm that signs this app's logins."
      )
    case 'signature':
      return staticKey
        ? "The login token's signature doesn't verify with AUTHROCKET_JWT_KEY (authrocket.jwtKey). Copy the realm's current key " +
            'from its Integration page, and check that LOGINROCKET_URL (authrocket.loginrocketUrl) names the same realm.'
        : `The login token's signature doesn't verify with the key ${loginrocketUrl}/connect/jwks publishes. ` +
            "Check that LOGINROCKET_URL (authrocket.loginrocketUrl) is the URL of the realm that signs this app's logins."
    case 'future':
      return `The login token was issued at ${at(Number(refused.found))}, ${Math.round(Number(refused.found) - now)} seconds ahead of this server's clock (${LEEWAY}). ${CLOCKS}.`
    default:
      return (
        `The login token LoginRocket sent back is malformed or lacks its required claims (iss, sub, iat, exp). ` +
        `Check that LOGINROCKET_URL (authrocket.loginrocketUrl) is a LoginRocket server (it is ${loginrocketUrl}).`
      )
  }
}

/** Remembers that this browser's `?token=` was refused; a refusal on top of one a moment ago is marked as the second. */
export function noteRefusal(ctx: Context, req: Request, res: Response, refused: Refused): void {
  const cause: Cause = refused.status === 'expired' ? 'expired' : refused.reason
  ctx.refusals.messages.set(cause, explain(ctx, refused))
  const again = readCookie(req.headers.cookie, REFUSED_COOKIE) !== undefined
  res.cookie(REFUSED_COOKIE, again ? cause + AGAIN : cause, { ...nonceCookie(ctx.options, req), maxAge: REFUSED_MS })
}

export function clearRefusal(ctx: Context, req: Request, res: Response): void {
  if (readCookie(req.headers.cookie, REFUSED_COOKIE) === undefined) return
  res.clearCookie(REFUSED_COOKIE, nonceCookie(ctx.options, req))
}

/** The cause when this browser's last two tokens were refused: sending it to LoginRocket again would loop. */
export function refusedTwice(req: Request): Cause | null {
  const value = readCookie(req.headers.cookie, REFUSED_COOKIE)
  if (value === undefined || !value.endsWith(AGAIN)) return null
  const cause = value.slice(0, -AGAIN.length)
  return CAUSES.has(cause) ? (cause as Cause) : null
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/**
 * The page that ends a login loop: 500, since only the app's developer (or LoginRocket's admin) can fix it. Logged
 * once per cause per process. The cookie goes, so that a reload (after the fix) tries one more trip.
 */
export function stopLoginLoop(ctx: Context, req: Request, res: Response, cause: Cause): void {
  const message =
    ctx.refusals.messages.get(cause) ??
    `LoginRocket's login tokens are refused by this app (${cause.replace('_', ' ')}); another process of the app logged the details.`
  if (!ctx.refusals.logged.has(cause)) {
    ctx.refusals.logged.add(cause)
    ctx.options.logger.warn(`airlock: login tokens from ${ctx.options.loginrocketUrl} are refused, and browsers would loop through /login: ${message}`)
  }
  clearRefusal(ctx, req, res)
  res.status(500).set('Cache-Control', 'no-store').type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Login refused</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}a{color:#2456c8}</style>
</head><body>
<h1>Login refused</h1>
<p>The login page logged you in, but this app could not accept the login it sent back, twice in a row. Sending you to the login page again would only repeat this.</p>
<p>For the app’s developer: ${escapeHtml(message)}</p>
<p><a href="/">Back to the app</a></p>
</body></html>`)
}
