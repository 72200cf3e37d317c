import { Hono } from 'hono'
import type { AppEnv } from '../../http/env.js'
import { recordEvent } from '../../http/events.js'
import { checkRedirectUri } from '../../http/redirect-uri.js'
import type { Services } from '../../services/index.js'
import { browserLogin, forgetBrowser } from './flow.js'

/**
 * GET /logout ends the browser's LoginRocket session (its cookie decides; the `session` parameter is only a
 * hint), then goes to `redirect_uri` when the realm accepts it, else to the login page.
 */
export function logoutRoutes(services: Services) {
  const app = new Hono<AppEnv>()
  app.get('/logout', async (c) => {
    const current = await browserLogin(c, services)
    if (current) {
      await services.sessions.end(current.session, services.clock())
      await recordEvent(c, services, { type: 'session.deleted', userId: current.user.id, sessionId: current.session.id, data: { reason: 'logout' } })
    }
    forgetBrowser(c)
    const raw = c.req.query('redirect_uri')
    const target = raw ? checkRedirectUri(c.get('realm'), raw) : null
    return c.redirect(target ?? '/login', 303)
  })
  return app
}
