import { Hono, type Context } from 'hono'
import { writeAdminCookie } from '../../http/cookies.js'
import type { AppEnv } from '../../http/env.js'
import type { Services } from '../../services/index.js'
import { field } from '../../domain/validation.js'
import { AdminMessagePage } from '../../views/pages/admin-layout.js'
import { AdminSetupPage } from '../../views/pages/admin-setup.js'
import { renderPage } from '../../views/render.js'

/** The first admin, through the one-time link `airlock start`/`init` prints while there is no admin. */
export function adminSetupRoutes(services: Services) {
  const app = new Hono<AppEnv>()

  const alreadySetUp = (c: Context<AppEnv>) =>
    renderPage(c,
      <AdminMessagePage title="The portal is already set up" link={{ href: '/admin/login', text: 'Log in to the admin portal' }}>
        <p>An admin exists, so setup links no longer work. Log in, or ask an admin to add you.</p>
      </AdminMessagePage>,
      410,
    )
  const unusable = (c: Context<AppEnv>) =>
    renderPage(c,
      <AdminMessagePage title="This setup link can’t be used">
        <p>It has expired, was replaced by a newer link, or was already used. Run airlock init or airlock start again to print a new one.</p>
      </AdminMessagePage>,
      410,
    )

  app.get('/admin/setup', async (c) => {
    if (await services.admins.exists()) return alreadySetUp(c)
    const token = c.req.query('token') ?? ''
    if (!(await services.links.peek('admin_setup', token, services.clock()))) return unusable(c)
    return renderPage(c, <AdminSetupPage csrf={c.get('csrf')} token={token} />)
  })

  app.post('/admin/setup', async (c) => {
    const form = await c.req.parseBody()
    const token = field(form, 'token')
    const email = field(form, 'email')
    const password = field(form, 'password', false)
    const confirm = field(form, 'confirm', false)
    if (await services.admins.exists()) return alreadySetUp(c)
    if (!(await services.links.peek('admin_setup', token, services.clock()))) return unusable(c)

    const errors = await services.admins.problems(email, password, confirm)
    if (Object.keys(errors).length > 0) return renderPage(c, <AdminSetupPage csrf={c.get('csrf')} token={token} email={email.slice(0, 300)} errors={errors} />, 422)
    // The link is used up first: of two forms sent at once, one creates the admin.
    if (!(await services.links.consume('admin_setup', token, services.clock()))) return unusable(c)
    const created = await services.admins.create(email, password, confirm, services.clock())
    if (!created.ok) return alreadySetUp(c)

    const { secret } = await services.admins.startSession(created.value, services.clock())
    writeAdminCookie(c, secret)
    services.logger.info({ admin: created.value.id }, 'first admin created through the setup link')
    await services.events.record(
      { type: 'admin.created', realmId: null, adminId: created.value.id, ip: c.get('clientIp'), data: { email: created.value.email, via: 'setup_link' } },
      services.clock(),
    )
    return c.redirect('/admin', 303)
  })

  return app
}
