import { Hono } from 'hono'
import type { AppEnv } from '../../http/env.js'
import type { Services } from '../../services/index.js'
import { discoveryRoutes } from './discovery.js'
import { jwksRoutes } from './jwks.js'
import { renewRoutes } from './renew.js'

/** What apps call, with no browser and no form: the signing keys, the discovery document, token renewal. */
export function connectRoutes(services: Services) {
  const app = new Hono<AppEnv>()
  app.route('/', jwksRoutes(services))
  app.route('/', discoveryRoutes())
  app.route('/', renewRoutes(services))
  return app
}
