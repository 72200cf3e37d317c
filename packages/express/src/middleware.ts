import type { NextFunction, Request, Response } from 'express'
import { attach, authenticate, authenticateFromCache, tokenSource, type TokenSource } from './authenticate.js'
import { bindContext, createContext, setDefaultContext } from './context.js'
import { AuthRocket } from './helper.js'
import { resolveOptions, type ArMiddlewareOptions } from './options.js'

/**
 * The Airlock middleware: reads the login token (a `?token=` from LoginRocket, a bearer token or
 * the login cookie), verifies and renews it, and sets `req.authrocket` / `res.locals.authrocket`.
 * Settings are checked here, once; a bad one throws a TypeError that names it.
 *
 * @example
 * app.use(cookieParser())
 * app.use(arMiddleware()) // LOGINROCKET_URL from the environment
 * @public
 */
export function arMiddleware(options: ArMiddlewareOptions = {}) {
  const ctx = createContext(resolveOptions(options, process.env))
  setDefaultContext(ctx)

  return function arMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (req.authrocket !== undefined) return next()
    bindContext(req, ctx)
    let source: TokenSource
    try {
      source = tokenSource(ctx, req)
      if (authenticateFromCache(ctx, req, res, source)) return next()
    } catch (error) {
      return anonymous(error)
    }
    authenticate(ctx, req, res, source).then((answered) => {
      if (!answered) next()
    }, anonymous)

    // Nothing a client sends may fail the request: whatever went wrong, it is anonymous.
    function anonymous(error: unknown): void {
      ctx.options.logger.warn(`airlock: request treated as anonymous after an unexpected error: ${(error as Error).message}`)
      attach(req, res, new AuthRocket(ctx, req, res, null))
      next()
    }
  }
}
