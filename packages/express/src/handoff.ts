import { randomBytes } from 'node:crypto'
import type { CookieOptions, Request, Response } from 'express'
import { cookieAttributes, readCookie } from './cookie.js'
import type { ResolvedOptions } from './options.js'

/**
 * The `?token=` handoff is bound to the browser that set off for LoginRocket (DESIGN §4): this browser's
 * random nonce goes along to /login and comes back signed into the token; a token carrying any other nonce
 * (or none) was handed to someone else, perhaps planted by a link, and is never installed.
 */
export const NONCE_COOKIE = 'arNonce'
/** Set when a token was refused and the browser sent through /login for one bound to it; a second refusal then stops. */
export const BOUNCE_COOKIE = 'arNonceBounce'

const NONCE_MS = 30 * 60 * 1000
const BOUNCE_MS = 5 * 60 * 1000
const NONCE_SHAPE = /^[A-Za-z0-9_-]{22,100}$/
/** A nonce already chosen during this request, so that several links on one page share it (and one Set-Cookie). */
const CHOSEN = Symbol('airlock.nonce')

type WithNonce = Request & { [CHOSEN]?: string }

/** Attributes of the handoff cookies (nonce, bounce, refused token). */
export function nonceCookie(options: ResolvedOptions, req: Request): CookieOptions {
  // Host-only and path /, whatever the login cookie's scope: the token comes back to this very host.
  return { httpOnly: true, sameSite: 'lax', path: '/', secure: cookieAttributes(options, req).secure }
}

/** The browser's nonce from its cookie, when it has a well-formed one. */
export function browserNonce(req: Request): string | undefined {
  const value = readCookie(req.headers.cookie, NONCE_COOKIE)
  return value !== undefined && NONCE_SHAPE.test(value) ? value : undefined
}

/**
 * The nonce to send to LoginRocket from this browser: its existing one (so two tabs don't undo each other's
 * logins), else a new one of 256 bits in a cookie for 30 minutes. The cookie is set only then, not on every
 * page that shows a login link; a token that comes back after it expired costs one more trip through /login.
 * Null when tokens aren't bound (`bindTokens: false`, or no login cookie to hand a token to).
 */
export function ensureNonce(options: ResolvedOptions, req: Request, res: Response): string | null {
  if (!options.bindTokens || options.cookieName === null) return null
  const request = req as WithNonce
  if (request[CHOSEN] !== undefined) return request[CHOSEN]
  let nonce = browserNonce(req)
  if (nonce === undefined) {
    nonce = randomBytes(32).toString('base64url')
    if (!res.headersSent) res.cookie(NONCE_COOKIE, nonce, { ...nonceCookie(options, req), maxAge: NONCE_MS })
  }
  request[CHOSEN] = nonce
  return nonce
}

/** True when the token's `nonce` claim is this browser's nonce. */
export function boundToBrowser(claim: unknown, req: Request): boolean {
  const nonce = browserNonce(req)
  return nonce !== undefined && claim === nonce
}

/** Whether this browser was just sent through /login for a bound token (and LoginRocket answered without one). */
export function justBounced(req: Request): boolean {
  const marker = readCookie(req.headers.cookie, BOUNCE_COOKIE)
  return marker !== undefined && marker === browserNonce(req)
}

export function markBounce(options: ResolvedOptions, req: Request, res: Response, nonce: string): void {
  res.cookie(BOUNCE_COOKIE, nonce, { ...nonceCookie(options, req), maxAge: BOUNCE_MS })
}

export function clearBounce(options: ResolvedOptions, req: Request, res: Response): void {
  if (readCookie(req.headers.cookie, BOUNCE_COOKIE) === undefined) return
  res.clearCookie(BOUNCE_COOKIE, nonceCookie(options, req))
}

/** The page for a second unbound token in a row: LoginRocket can't bind tokens, and redirecting again would loop. */
export function refuseUnboundToken(options: ResolvedOptions, req: Request, res: Response): void {
  options.logger.warn(
    `airlock: LoginRocket at ${options.loginrocketUrl} sent back a login token without this browser's nonce, ` +
      'even after being asked for one; the login was refused. Use a LoginRocket that signs the nonce parameter ' +
      'into its tokens, or set arMiddleware({ bindTokens: false }), which weakens the protection against login CSRF.',
  )
  clearBounce(options, req, res)
  res.status(400).type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Login not completed</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}a{color:#2456c8}</style>
</head><body>
<h1>Login not completed</h1>
<p>The login page sent you back with a login that this app could not tie to your browser, so it was not used.</p>
<p>If this keeps happening, tell the app’s support: its login settings need attention.</p>
<p><a href="/">Back to the app</a></p>
</body></html>`)
}
