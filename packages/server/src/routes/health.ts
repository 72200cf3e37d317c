import { Hono } from 'hono'
import type { AppEnv } from '../http/env.js'
import type { Services } from '../services/index.js'

/**
 * GET /healthz: 200 while the database answers, 503 otherwise (for load balancers; any host). A setting found
 * wrong while serving (`misconfigured`: the proxy's scheme against the public URL) is a 503 too, with the reason,
 * so that the operator sees it at once.
 */
export function healthRoutes(services: Services, misconfigured: () => string | null = () => null) {
  const app = new Hono<AppEnv>()
  app.get('/healthz', async (c) => {
    c.header('Cache-Control', 'no-store')
    const problem = misconfigured()
    if (problem !== null) return c.json({ status: 'misconfigured', reason: problem }, 503)
    return (await services.db.ping()) ? c.json({ status: 'ok' }) : c.json({ status: 'unavailable' }, 503)
  })
  return app
}
