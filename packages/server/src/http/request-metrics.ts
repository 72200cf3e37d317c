import type { Context, MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import type { Metrics } from '../metrics/metrics.js'
import type { AppEnv } from './env.js'

/** The methods with a label of their own; anything else a client sends is `other`. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/** The label of a request whose path no route serves: one label, whatever paths a scanner tries. */
export const UNMATCHED = 'unmatched'

/**
 * The pattern of the route that serves the request (`/accounts/:orgId`), never its path: every label value is
 * one of the app's own routes. Middleware and catch-alls are registered for every method (`ALL`) and don't count,
 * so a request refused by a middleware (a 429 on /login) is still labelled with its route.
 */
function routeOf(c: Context<AppEnv>): string {
  for (const route of matchedRoutes(c)) if (route.method !== 'ALL') return route.path
  return UNMATCHED
}

/** Times every request for `airlock_http_request_duration_seconds`; only installed when metrics are on. */
export function requestMetrics(metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async function requestMetrics(c, next) {
    const started = performance.now()
    try {
      await next()
    } finally {
      const method = METHODS.has(c.req.method) ? c.req.method : 'other'
      metrics.request(method, routeOf(c), c.res.status, (performance.now() - started) / 1000)
    }
  }
}
