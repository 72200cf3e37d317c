import type { MiddlewareHandler } from 'hono'
import { AppError } from '../errors/app-error.js'
import type { Services } from '../services/index.js'
import type { AppEnv } from './env.js'

const HOST = /^[a-z0-9.-]+(?::\d{1,5})?$|^\[[0-9a-f:.]+\](?::\d{1,5})?$/i

/** The host this request was sent to: Host, or X-Forwarded-Host when the proxy in front is trusted. */
export function requestHost(header: (name: string) => string | undefined, trustProxy: boolean): string | null {
  const forwarded = trustProxy ? header('x-forwarded-host')?.split(',')[0]?.trim() : undefined
  const host = (forwarded || header('host'))?.toLowerCase()
  return host && HOST.test(host) ? host : null
}

/**
 * Picks the realm by the host the request was sent to: the server's public URL serves the default realm,
 * any other host the realm whose LoginRocket URL it is. The scheme is the configured one, never the request's.
 */
export function resolveRealm(services: Services, trustProxy: boolean): MiddlewareHandler<AppEnv> {
  const publicHost = new URL(services.publicUrl).host
  return async function resolveRealm(c, next) {
    const host = requestHost((name) => c.req.header(name), trustProxy)
    const realm =
      host === null
        ? null
        : host === publicHost
          ? await services.realms.defaultRealm()
          : await services.realms.byHost(host)
    if (!realm) throw new AppError('realm_not_found', 'There is no login page at this address.')
    c.set('realm', realm)
    c.set('loginrocketUrl', services.loginrocketUrlOf(realm))
    await next()
  }
}
