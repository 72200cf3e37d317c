import { Hono } from 'hono'
import { clearAdminCookie, writeAdminCookie } from '../../http/cookies.js'
import type { AppEnv } from '../../http/env.js'
import { throttled } from '../../http/throttle.js'
import { adminLoginRule } from '../../http/throttle-rules.js'
import type { Services } from '../../services/index.js'
import { field } from '../../domain/validation.js'
import { AdminLoginPage } from '../../views/pages/admin-login.js'
import { currentAdmin } from './guard.js'
import { renderPage } from '../../views/render.js'

const FAILED = 'That email and password don’t match an admin. Check them and try again.'

/** GET/POST /admin/login and POST /admin/logout. */
export function adminSessionRoutes(services: Services) {
  const app = new Hono<AppEnv>()

  app.get('/admin/login', async (c) => {
    if (await currentAdmin(c, services)) return c.redirect('/admin', 303)
    return renderPage(c, <AdminLoginPage csrf={c.get('csrf')} />)
  })

  app.post('/admin/login', throttled(adminLoginRule), async (c) => {
    const form = await c.req.parseBody()
    const email = field(form, 'email')
    const admin = await services.admins.login(email, field(form, 'password', false), services.clock())
    // Unknown email or wrong password: the same page and status (and the same hash check, in the service).
    const event = { realmId: null, ip: c.get('clientIp') }
    if (!admin) {
      await services.events.record({ ...event, type: 'admin.login.failed', data: { email: email.slice(0, 200) } }, services.clock())
      return renderPage(c, <AdminLoginPage csrf={c.get('csrf')} email={email.slice(0, 300)} failure={FAILED} />, 401)
    }
    const { secret } = await services.admins.startSession(admin, services.clock())
    await services.events.record({ ...event, type: 'admin.login.succeeded', adminId: admin.id }, services.clock())
    writeAdminCookie(c, secret)
    return c.redirect('/admin', 303)
  })

  app.post('/admin/logout', async (c) => {
    const current = await currentAdmin(c, services)
    if (current) await services.admins.endSession(current.session, services.clock())
    clearAdminCookie(c)
    return c.redirect('/admin/login', 303)
  })

  return app
}
