import { Hono } from 'hono'
import type { AppEnv } from '../../http/env.js'
import type { Services } from '../../services/index.js'
import { HomePage } from '../../views/pages/home.js'
import { servesAdminPortal } from '../admin/guard.js'
import { renderPage } from '../../views/render.js'

/** GET /: the first address `airlock start` prints, which would otherwise be "not found". */
export function homeRoutes(services: Services) {
  const app = new Hono<AppEnv>()
  app.get('/', (c) => renderPage(c, <HomePage realm={c.get('realm')} adminPortal={servesAdminPortal(c, services)} />))
  return app
}
