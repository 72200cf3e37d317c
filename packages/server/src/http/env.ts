import type { Admin, AdminSession } from '../domain/admin.js'
import type { Realm } from '../domain/realm.js'
import type { RateLimiter } from './throttle.js'

/** What the middleware chain puts on each request's context. */
export type AppEnv = {
  Variables: {
    realm: Realm
    /** The realm's LoginRocket URL (an origin), where its pages are served. */
    loginrocketUrl: string
    /** The CSRF token for forms on this page. */
    csrf: string
    /** The client's address (the peer's, or the last X-Forwarded-For entry, the trusted proxy's, when proxies are trusted). */
    clientIp: string
    /** The admin portal's signed-in admin and session (set by the admin routes' guard only). */
    admin: { admin: Admin; session: AdminSession }
    /** The rate limiter (set by the app's `rateLimiter` middleware, read by `throttled` and by routes that clear counters). */
    throttle: RateLimiter
  }
}
