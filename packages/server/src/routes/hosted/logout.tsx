import { Hono, type Context } from 'hono'
import type { AppEnv } from '../../http/env.js'
import { userActor } from '../../http/events.js'
import { checkRedirectUri } from '../../http/redirect-uri.js'
import type { Services } from '../../services/index.js'
import { LogoutPage } from '../../views/pages/logout.js'
import { browserLogin, forgetBrowser } from './flow.js'
import { renderPage } from '../../views/render.js'

/**
 * Logout ends the browser's LoginRocket session (its cookie decides), then goes to `redirect_uri` when the realm
 * accepts it, else to the login page. A GET does so at once only when its `session` parameter names that very
 * session (as the middleware's fullLogout sends it): any site can make a browser GET /logout (an <img>), so
 * without it the browser is asked first, and only the confirmation's POST, with its CSRF token, logs out.
 */
export function logoutRoutes(services: Services) {
  const app = new Hono<AppEnv>()

  app.get('/logout', async (c) => {
    const current = await browserLogin(c, services)
    const raw = c.req.query('redirect_uri')
    if (current && c.req.query('session') !== current.session.id) {
      const allowed = raw && checkRedirectUri(c.get('realm'), raw) ? raw : undefined
      return renderPage(c, <LogoutPage realm={c.get('realm')} csrf={c.get('csrf')} email={current.user.email} redirectUri={allowed} />)
    }
    return logOut(c, raw)
  })

  app.post('/logout', async (c) => {
    const form = await c.req.parseBody()
    return logOut(c, typeof form.redirect_uri === 'string' ? form.redirect_uri : undefined)
  })

  async function logOut(c: Context<AppEnv>, raw: string | undefined): Promise<Response> {
    const current = await browserLogin(c, services)
    if (current) {
      await services.sessions.logOut(current.session, userActor(c, current.user), services.clock())
    }
    forgetBrowser(c)
    const target = raw ? checkRedirectUri(c.get('realm'), raw) : null
    return c.redirect(target ?? '/login', 303)
  }

  return app
}
