import type { MiddlewareHandler } from 'hono'
import type { Logger } from 'pino'
import type { AppEnv } from './env.js'

export interface ProxySchemeCheck {
  middleware: MiddlewareHandler<AppEnv>
  /** Why this process is misconfigured, once a request showed it; null while none has. */
  problem(): string | null
}

/**
 * With AIRLOCK_TRUST_PROXY=true, the proxy's X-Forwarded-Proto says how browsers reach us. When it disagrees
 * with the URL we serve as (https behind the proxy but an http public URL: cookies without Secure, no HSTS; or
 * the reverse: Secure cookies a browser on http drops, so nobody can log in), the operator must see it at once:
 * an error in the log (once per process) and /healthz answering 503 with the reason, until a restart with
 * the setting fixed. Only a proxy that sets the header itself (nginx: `proxy_set_header X-Forwarded-Proto
 * $scheme`) may be trusted: then no client can raise this alarm (docs/deploy.md).
 */
export function proxySchemeCheck(logger: Logger, publicUrl: string): ProxySchemeCheck {
  let problem: string | null = null
  return {
    problem: () => problem,
    middleware: async function proxyScheme(c, next) {
      const forwarded = c.req.header('x-forwarded-proto')?.split(',').at(-1)?.trim().toLowerCase()
      if (problem === null && (forwarded === 'http' || forwarded === 'https')) {
        const served = c.get('loginrocketUrl')
        // A prefix test, not a URL parse: this runs on every proxied request while the setting is right.
        if (!served.startsWith(`${forwarded}:`)) {
          const setting = served === publicUrl ? 'AIRLOCK_PUBLIC_URL' : `the LoginRocket URL of realm ${c.get('realm').id}`
          problem = `${setting} is ${served} but the proxy in front says browsers arrive over ${forwarded} (X-Forwarded-Proto): make them agree and restart`
          logger.error({ host: c.req.header('host') }, problem)
        }
      }
      await next()
    },
  }
}
