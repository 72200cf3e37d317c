import type { MiddlewareHandler } from 'hono'
import { isAdminPath } from './admin-path.js'
import type { AppEnv } from './env.js'

/**
 * Strict headers on every hosted response. `form-action` must allow the realm's apps: a login form's
 * answer redirects there, and browsers apply form-action to that redirect.
 *
 * Pages are `same-origin`, not `no-referrer`: under no-referrer a browser sends `Origin: null` with the
 * page's own form posts, which the CSRF check must refuse. No Referer leaves for another site either way;
 * answers that carry a token (redirects to the app, renewals) set `no-referrer` themselves.
 *
 * Hosted pages run no script at all; the admin portal runs its own file (`/assets/admin.js`, copy buttons) only.
 *
 * HSTS follows the realm's LoginRocket URL; answers given before the realm is known (assets, /healthz, an
 * unknown host) follow the server's public URL.
 */
export function securityHeaders(publicUrl: string): MiddlewareHandler<AppEnv> {
  return async function securityHeaders(c, next) {
    await next()
    const realm = c.get('realm')
    const appOrigins = realm ? [...new Set(realm.settings.login_urls.map((u) => new URL(u).origin))] : []
    c.header(
      'Content-Security-Policy',
      [
        "default-src 'none'",
        ...(isAdminPath(c.req.path) ? ["script-src 'self'"] : []),
        "style-src 'self'",
        "img-src 'self' https: data:",
        `form-action 'self' ${appOrigins.join(' ')}`.trim(),
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ].join('; '),
    )
    c.header('X-Content-Type-Options', 'nosniff')
    c.header('X-Frame-Options', 'DENY')
    if (!c.res.headers.has('Referrer-Policy')) c.header('Referrer-Policy', 'same-origin')
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store')
    if ((c.get('loginrocketUrl') ?? publicUrl).startsWith('https:')) c.header('Strict-Transport-Security', 'max-age=31536000')
  }
}
