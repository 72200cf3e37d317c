import type { NextFunction, Request, Response } from 'express'
import { defaultContext } from './context.js'
import { readCookie } from './cookie.js'
import { AuthRocket } from './helper.js'

/** The request's helper; built here when the logout route is mounted before `arMiddleware()`. */
async function helperFor(req: Request, res: Response): Promise<AuthRocket> {
  if (req.authrocket !== undefined) return req.authrocket
  const ctx = defaultContext()
  if (ctx === null) throw new Error('fullLogout and localLogout need arMiddleware() to be configured in the app')
  const name = ctx.options.cookieName
  const token = name === null ? undefined : readCookie(req.headers.cookie, name)
  const checked = token ? await ctx.verify(token) : null
  // An expired token still names the session to end.
  const login = token && checked && checked.status !== 'invalid' ? { token, claims: checked.claims } : null
  return new AuthRocket(ctx, req, res, login)
}

/**
 * Logs out of the app and of LoginRocket: clears the login cookie, then sends the browser to
 * LoginRocket's logout, which ends the session and comes back to the app's root.
 *
 * @example
 * app.use('/logout', fullLogout)
 * @public
 */
export async function fullLogout(req: Request, res: Response, next: NextFunction): Promise<void> {
  let ar: AuthRocket
  try {
    ar = await helperFor(req, res)
  } catch (error) {
    return next(error)
  }
  const target = ar.arLogoutUrl({ redirect_uri: ar.appRootUri() })
  ar.logout()
  res.set('Cache-Control', 'no-store').redirect(302, target)
}

/**
 * Logs out of this app only (the LoginRocket session goes on): clears the cookie and goes to `/`.
 * @public
 */
export async function localLogout(req: Request, res: Response, next: NextFunction): Promise<void> {
  let ar: AuthRocket
  try {
    ar = await helperFor(req, res)
  } catch (error) {
    return next(error)
  }
  ar.logout()
  res.set('Cache-Control', 'no-store').redirect(302, ar.appRootUri())
}
