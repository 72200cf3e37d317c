import { Hono } from 'hono'
import { getConnInfo } from '@hono/node-server/conninfo'
import { AppError } from './errors/app-error.js'
import { csrfProtection } from './http/csrf.js'
import type { AppEnv } from './http/env.js'
import { errorHandler } from './http/errors.js'
import { formLimit } from './http/form-limit.js'
import { proxySchemeCheck } from './http/proxy-scheme.js'
import { resolveRealm } from './http/realm.js'
import { requestMetrics } from './http/request-metrics.js'
import { securityHeaders } from './http/security-headers.js'
import { rateLimiter } from './http/throttle.js'
import { adminPortalOnly, adminRoutes } from './routes/admin/index.js'
import { assetRoutes } from './routes/assets.js'
import { connectRoutes } from './routes/connect/index.js'
import { healthRoutes } from './routes/health.js'
import { hostedRoutes } from './routes/hosted/index.js'
import type { Services } from './services/index.js'

export interface AppOptions {
  /** Trust X-Forwarded-For/-Host/-Proto from the proxy in front. */
  trustProxy: boolean
  /** The HMAC key for CSRF tokens, shared by every process. */
  csrfKey: string
}

/** The HTTP app: every route over the given services. It opens no socket; `main.ts` serves it. */
export function createApp(services: Services, options: AppOptions) {
  const app = new Hono<AppEnv>()
  const log = services.logger

  // Only with metrics on: off, requests pay nothing for them.
  if (services.metrics.enabled) app.use(requestMetrics(services.metrics))
  app.use(async function requestLog(c, next) {
    const started = performance.now()
    await next()
    // The path only: queries carry tokens and redirect URIs.
    log.info({ method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started), realm: c.get('realm')?.id }, 'request')
  })
  app.use(async function clientIp(c, next) {
    // The trusted proxy appends the address it saw to X-Forwarded-For; entries to its left are whatever the
    // client sent. Taking the first one would let anyone pick their address, and so escape per-IP limits.
    const forwarded = options.trustProxy ? c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim() : undefined
    let peer = 'unknown'
    try {
      peer = getConnInfo(c).remote.address ?? 'unknown'
    } catch {
      // Requests made in-process (tests through app.request) have no socket.
    }
    c.set('clientIp', forwarded || peer)
    await next()
  })
  // First, so that every answer has them, even the errors raised before the realm is known (an unknown host);
  // it reads the realm, when there is one, after the request.
  app.use(securityHeaders(services.publicUrl))
  const proxyScheme = options.trustProxy ? proxySchemeCheck(log, services.publicUrl) : null
  app.route('/', healthRoutes(services, () => proxyScheme?.problem() ?? null))
  app.route('/', assetRoutes())

  app.use(resolveRealm(services, options.trustProxy))
  if (proxyScheme) app.use(proxyScheme.middleware)
  // Before anything reads a body (the CSRF check and the rate limiter parse forms), and after the realm is known,
  // so that a refusal is the realm's error page. App-wide: the CSRF check reads every POST, routed or not.
  app.use(formLimit())
  // What apps call, before anything meant for browsers (the portal's host check, the CSRF check and its cookie):
  // an answer here ends the chain. The coming /v2 API mounts beside it, for the same reason.
  app.route('/', connectRoutes(services))
  // The admin portal is on the server's public URL only: elsewhere it is not found, before any form check.
  app.use(adminPortalOnly(services))
  app.use(csrfProtection(options.csrfKey))
  // The limiter that routes' own `throttled(rule)` use; they run after the CSRF check, so forged forms spend nothing.
  app.use(rateLimiter(services, options.csrfKey))
  app.route('/', adminRoutes(services))
  app.route('/', hostedRoutes(services))

  app.notFound(() => {
    throw new AppError('not_found', 'There is no page at this address.')
  })
  app.onError(errorHandler(log))
  return app
}
