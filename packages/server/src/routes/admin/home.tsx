import { Hono } from 'hono'
import type { AppEnv } from '../../http/env.js'
import type { Services } from '../../services/index.js'
import { AdminHomePage } from '../../views/pages/admin-home.js'
import { realmRow } from './request.js'
import { renderPage } from '../../views/render.js'

/** GET /admin: who is signed in, and the realms with their LoginRocket URLs. */
export function adminHomeRoutes(services: Services) {
  const app = new Hono<AppEnv>()
  app.get('/admin', async (c) => {
    const realms = await services.realms.list()
    return renderPage(c,
      <AdminHomePage
        email={c.get('admin').admin.email}
        csrf={c.get('csrf')}
        realms={realms.map((realm) => realmRow(services, realm))}
      />,
    )
  })
  return app
}
