import type { Context, MiddlewareHandler } from 'hono'
import { readAdminCookie } from '../../http/cookies.js'
import type { AppEnv } from '../../http/env.js'
import { AppError } from '../../errors/app-error.js'
import type { Services } from '../../services/index.js'
import { isAdminPath } from '../../http/admin-path.js'

/** Whether this request's host serves the admin portal: the server's own public URL, the default realm's. */
export const servesAdminPortal = (c: Context<AppEnv>, services: Services): boolean =>
  c.get('loginrocketUrl') === services.publicUrl && c.get('realm').isDefault

/**
 * The portal is served on the server's own public URL only: on any realm's host `/admin...` is not found,
 * as if it weren't there. Its pages are never cached.
 */
export function adminPortalOnly(services: Services): MiddlewareHandler<AppEnv> {
  return async function adminPortalOnly(c, next) {
    if (!isAdminPath(c.req.path)) return next()
    if (!servesAdminPortal(c, services)) {
      throw new AppError('not_found', 'There is no page at this address.')
    }
    await next()
    c.header('Cache-Control', 'no-store')
  }
}

/** The admin signed in on this browser (its idle timeout extended), or null. */
export async function currentAdmin(c: Context<AppEnv>, services: Services) {
  return services.admins.fromSecret(readAdminCookie(c), services.clock())
}

/** Admin pages and forms: anyone without a live admin session (a realm user's session is not one) goes to log in. */
export function requireAdmin(services: Services): MiddlewareHandler<AppEnv> {
  return async function requireAdmin(c, next) {
    const current = await currentAdmin(c, services)
    if (!current) return c.redirect('/admin/login', 303)
    c.set('admin', current)
    await next()
  }
}
