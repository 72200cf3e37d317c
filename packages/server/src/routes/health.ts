import { Hono } from 'hono'
import type { AppEnv } from '../http/env.js'
import type { Services } from '../services/index.js'

/** GET /healthz: 200 while the database answers, 503 otherwise (for load balancers; any host). */
export function healthRoutes(services: Services) {
  const app = new Hono<AppEnv>()
  app.get('/healthz', async (c) => {
    c.header('Cache-Control', 'no-store')
    return (await services.db.ping()) ? c.json({ status: 'ok' }) : c.json({ status: 'unavailable' }, 503)
  })
  return app
}
