import type { Request, Response } from 'express'
import { clearLoginCookie } from './cookie.js'
import type { ResolvedOptions } from './options.js'
import { createRenewer, type Renewer } from './renew.js'
import { createVerifier, type Verifier } from './verify.js'

/** What one `arMiddleware()` shares across its requests: settings, key cache, renewals. */
export interface Context {
  options: ResolvedOptions
  verify: Verifier
  renew: Renewer
  clearCookie(req: Request, res: Response): void
}

export function createContext(options: ResolvedOptions): Context {
  const verify = createVerifier({
    issuer: options.issuer,
    staticKey: options.staticKey,
    jwksUrl: `${options.loginrocketUrl}/connect/jwks`,
    logger: options.logger,
  })
  const renew = createRenewer({ url: `${options.loginrocketUrl}/connect/renew`, verify, logger: options.logger })
  return {
    options,
    verify,
    renew,
    clearCookie: (req, res) => clearLoginCookie(options, req, res),
  }
}

let latest: Context | null = null

/** The most recently configured context, for `fullLogout` mounted before `arMiddleware()`. */
export function defaultContext(): Context | null {
  return latest
}

export function setDefaultContext(ctx: Context): void {
  latest = ctx
}
