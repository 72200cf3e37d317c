import type { Request, Response } from 'express'
import type { Context } from './context.js'
import { readCookie, writeLoginCookie } from './cookie.js'
import { boundToBrowser, clearBounce, ensureNonce, justBounced, markBounce, refuseUnboundToken } from './handoff.js'
import { AuthRocket, type Login } from './helper.js'
import { clearRefusal, noteRefusal } from './refusal.js'
import { LOGIN_PARAMS, loginrocketLink, requestOrigin, withoutParams } from './request-url.js'

const BEARER = /^Bearer +([^\s]+) *$/i

function tokenParam(req: Request): string | undefined {
  const url = req.originalUrl
  const q = url.indexOf('?')
  if (q === -1 || !url.includes('token=', q)) return undefined
  return new URLSearchParams(url.slice(q + 1)).get('token') ?? undefined
}

/** This request's path and query without the login parameters, never a protocol-relative `//host`. */
function cleanLocation(req: Request): string {
  return withoutParams(req.originalUrl, LOGIN_PARAMS).replace(/^[/\\]+/, '/')
}

/**
 * A GET arriving from LoginRocket with `?token=`: keep a valid token bound to this browser in the cookie, then
 * drop it from the URL. A valid token bound to no browser or another one (a link in a mail, an old bookmark, or
 * an attacker's own token planted in a link) never replaces the login: the browser goes through /login once more,
 * where its own LoginRocket session decides. If LoginRocket answers that trip without the nonce too, it stops.
 * A token that fails verification is dropped and remembered (refusal.ts): a second in a row stops the login loop.
 */
async function acceptTokenParam(ctx: Context, req: Request, res: Response, token: string): Promise<void> {
  const { options } = ctx
  const checked = await ctx.verify(token)
  res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' })
  if (checked.status === 'valid' && options.bindTokens && !boundToBrowser(checked.claims.nonce, req)) {
    if (justBounced(req)) return refuseUnboundToken(options, req, res)
    const nonce = ensureNonce(options, req, res)!
    markBounce(options, req, res, nonce)
    const here = requestOrigin(req, options.appUrl) + cleanLocation(req)
    res.redirect(302, loginrocketLink(options.loginrocketLinks, '/login', { redirect_uri: here, nonce }))
    return
  }
  if (checked.status === 'valid') {
    writeLoginCookie(options, req, res, token, checked.claims.exp)
    clearBounce(options, req, res)
    clearRefusal(ctx, req, res)
  } else {
    noteRefusal(ctx, req, res, checked)
  }
  res.redirect(302, cleanLocation(req))
}

async function fromBearer(ctx: Context, token: string): Promise<{ login: Login | null; error: string | null }> {
  const checked = await ctx.verify(token)
  if (checked.status === 'valid') return { login: { token, claims: checked.claims }, error: null }
  return { login: null, error: checked.status === 'expired' ? 'The access token expired' : 'The access token is invalid' }
}

/** The cookie's login, renewed when it has expired or is close to it; a bad cookie is cleared. */
async function fromCookie(ctx: Context, req: Request, res: Response, token: string): Promise<Login | null> {
  const checked = await ctx.verify(token)
  if (checked.status === 'invalid') {
    ctx.clearCookie(req, res)
    return null
  }
  if (checked.status === 'valid' && !checked.renewSoon) return { token, claims: checked.claims }

  const renewal = await ctx.renew(token, checked.claims)
  if (renewal.status === 'renewed') {
    writeLoginCookie(ctx.options, req, res, renewal.token, renewal.claims.exp)
    return { token: renewal.token, claims: renewal.claims }
  }
  if (renewal.status === 'ended') {
    ctx.clearCookie(req, res)
    return null
  }
  // LoginRocket is unreachable: a still-valid token keeps working; the cookie stays for a later renewal.
  return checked.status === 'valid' ? { token, claims: checked.claims } : null
}

/** Where this request's token comes from; decided from headers alone. */
export type TokenSource =
  | { from: 'param'; token: string }
  | { from: 'bearer'; token: string }
  | { from: 'cookie'; token: string }
  | { from: 'none' }

export function tokenSource(ctx: Context, req: Request): TokenSource {
  const { cookieName } = ctx.options
  if (cookieName !== null && (req.method === 'GET' || req.method === 'HEAD')) {
    const param = tokenParam(req)
    if (param !== undefined) return { from: 'param', token: param }
  }
  const authorization = req.headers.authorization
  const bearer = authorization === undefined ? null : BEARER.exec(authorization)
  if (bearer) return { from: 'bearer', token: bearer[1]! }
  const token = cookieName === null ? undefined : readCookie(req.headers.cookie, cookieName)
  return token ? { from: 'cookie', token } : { from: 'none' }
}

/**
 * The common cases, answered without waiting: nobody logged in, or a token already verified that needs
 * no renewal. Returns false when the request needs the full (asynchronous) path.
 */
export function authenticateFromCache(ctx: Context, req: Request, res: Response, source: TokenSource): boolean {
  if (source.from === 'param') return false
  let login: Login | null = null
  if (source.from !== 'none') {
    const known = ctx.verify.cached(source.token)
    if (known === undefined || known.status !== 'valid' || (source.from === 'cookie' && known.renewSoon)) return false
    login = { token: source.token, claims: known.claims }
  }
  attach(req, res, new AuthRocket(ctx, req, res, login))
  return true
}

/**
 * Works out who the request is from and attaches the helper. Returns true when it answered the
 * request itself (the redirect that takes `?token=` out of the address bar).
 */
export async function authenticate(ctx: Context, req: Request, res: Response, source: TokenSource): Promise<boolean> {
  let login: Login | null = null
  let error: string | null = null
  if (source.from === 'param') {
    await acceptTokenParam(ctx, req, res, source.token)
    return true
  }
  if (source.from === 'bearer') ({ login, error } = await fromBearer(ctx, source.token))
  else if (source.from === 'cookie') login = await fromCookie(ctx, req, res, source.token)
  attach(req, res, new AuthRocket(ctx, req, res, login, error))
  return false
}

export function attach(req: Request, res: Response, helper: AuthRocket): void {
  req.authrocket = helper
  res.locals.authrocket = helper
}
