import { Hono } from 'hono'
import type { AppEnv } from '../../http/env.js'
import type { Services } from '../../services/index.js'

/** GET /connect/jwks: the realm's published RS256 keys, in the shape AuthRocket's SDKs read. */
export function jwksRoutes(services: Services) {
  const app = new Hono<AppEnv>()
  app.get('/connect/jwks', async (c) => {
    const jwks = await services.keys.jwks(c.get('realm'), services.clock())
    c.header('Cache-Control', 'public, max-age=60')
    return c.json(jwks)
  })
  return app
}
