import type { Request, Response } from 'express'
import { clearLoginCookie } from './cookie.js'
import { discoveredIssuer, fixedIssuer } from './issuer.js'
import type { ResolvedOptions } from './options.js'
import { refusalLog, type RefusalLog } from './refusal.js'
import { createRenewer, type Renewer } from './renew.js'
import { createVerifier, type Verifier } from './verify.js'

/** What one `arMiddleware()` shares across its requests: settings, key cache, renewals. */
export interface Context {
  options: ResolvedOptions
  verify: Verifier
  renew: Renewer
  /** Login tokens refused on arrival, for the page that stops a login loop. */
  refusals: RefusalLog
  clearCookie(req: Request, res: Response): void
}

export function createContext(options: ResolvedOptions): Context {
  // Learnt from the realm even with a static key: the key is the app's, the issuer a realm setting that may change.
  const issuer =
    options.issuer !== null
      ? fixedIssuer(options.issuer)
      : discoveredIssuer(`${options.loginrocketUrl}/.well-known/openid-configuration`, {
          fallback: new URL(options.loginrocketUrl).origin,
          logger: options.logger,
        })
  const verify = createVerifier({
    issuer,
    staticKey: options.staticKey,
    jwksUrl: `${options.loginrocketUrl}/connect/jwks`,
    logger: options.logger,
  })
  const renew = createRenewer({ url: `${options.loginrocketUrl}/connect/renew`, verify, logger: options.logger })
  return {
    options,
    verify,
    renew,
    refusals: refusalLog(),
    clearCookie: (req, res) => clearLoginCookie(options, req, res),
  }
}

let latest: Context | null = null
const CONTEXT = Symbol('airlock.context')

/** The context of the `arMiddleware()` that handled this request, for the guards after it. */
export function contextOf(req: Request): Context | undefined {
  return (req as Request & { [CONTEXT]?: Context })[CONTEXT]
}

export function bindContext(req: Request, ctx: Context): void {
  ;(req as Request & { [CONTEXT]?: Context })[CONTEXT] = ctx
}

/** The most recently configured context, for `fullLogout` mounted before `arMiddleware()`. */
export function defaultContext(): Context | null {
  return latest
}

export function setDefaultContext(ctx: Context): void {
  latest = ctx
}
