import { Hono } from 'hono'
import type { AppEnv } from '../../http/env.js'
import { AppError } from '../../errors/app-error.js'
import type { Services } from '../../services/index.js'
import { requireAdmin } from './guard.js'
import { adminEventRoutes } from './events.js'
import { adminHomeRoutes } from './home.js'
import { adminMailRoutes } from './mail.js'
import { adminRealmRoutes } from './realms.js'
import { adminAccountRoutes } from './accounts.js'
import { adminIntegrationRoutes } from './integration.js'
import { adminSessionRoutes } from './session.js'
import { adminSetupRoutes } from './setup.js'
import { adminUserRoutes } from './users.js'

/**
 * The admin portal: setup, login and logout, which are how an admin gets in (and out), then everything else
 * behind one guard: anonymous browsers and realm users go to log in.
 */
export function adminRoutes(services: Services) {
  const app = new Hono<AppEnv>()
  app.route('/', adminSetupRoutes(services))
  app.route('/', adminSessionRoutes(services))
  // Registered after the routes above: a request they answer never reaches it.
  app.use('/admin/*', requireAdmin(services))
  app.route('/', adminHomeRoutes(services))
  app.route('/', adminRealmRoutes(services))
  app.route('/', adminIntegrationRoutes(services))
  app.route('/', adminAccountRoutes(services))
  app.route('/', adminMailRoutes(services))
  app.route('/', adminEventRoutes(services))
  app.route('/', adminUserRoutes(services))
  // Any other /admin address: admins see "not found" (the others were sent to log in by the guard).
  app.all('/admin/*', () => {
    throw new AppError('not_found', 'There is no page at this address.')
  })
  return app
}

export { adminPortalOnly } from './guard.js'
