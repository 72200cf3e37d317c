import type { NextFunction, Request, Response } from 'express'
import { loginRequired, permissionDenied } from './respond.js'
import type { PermissionMatcher } from './types.js'

const MISSING = 'arMiddleware() must be in the middleware list before'

/**
 * Lets logged-in requests through. Browsers are sent to LoginRocket's login page and come back
 * here afterwards; API clients get 401 with `WWW-Authenticate: Bearer`.
 *
 * @example
 * app.get('/account', requireLogin, (req, res) => res.send(req.authrocket.currentUser.name))
 * @public
 */
export function requireLogin(req: Request, res: Response, next: NextFunction): void {
  const ar = req.authrocket
  if (ar === undefined) return next(new Error(`${MISSING} requireLogin`))
  if (ar.currentUser !== null) return next()
  loginRequired(req, res, ar)
}

function isRequest(value: unknown): boolean {
  return value !== null && typeof value === 'object' && 'headers' in value && 'method' in value
}

/**
 * Lets through users whose current membership holds any one of `permissions` (names or RegExps).
 * Anonymous requests are treated as by {@link requireLogin}; others get 403.
 *
 * @example
 * router.use(requirePermission('site:admin'))
 * @public
 */
export function requirePermission(...permissions: PermissionMatcher[]) {
  if (isRequest(permissions[0])) {
    throw new TypeError("requirePermission must be called with the permissions it checks: app.use(requirePermission('site:admin'))")
  }
  const wanted = permissions.flat()
  if (wanted.length === 0) throw new TypeError('requirePermission needs at least one permission')
  for (const permission of wanted) {
    if (!(permission instanceof RegExp) && (typeof permission !== 'string' || permission === '')) {
      throw new TypeError(`requirePermission takes permission names or RegExps, got ${JSON.stringify(permission)}`)
    }
  }

  return function requirePermission(req: Request, res: Response, next: NextFunction): void {
    const ar = req.authrocket
    if (ar === undefined) return next(new Error(`${MISSING} requirePermission`))
    if (ar.currentUser === null) return loginRequired(req, res, ar)
    if (ar.hasPermission(...wanted)) return next()
    permissionDenied(req, res, ar)
  }
}
