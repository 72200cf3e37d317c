import { Hono, type Context } from 'hono'
import type { AppEnv } from '../../http/env.js'
import { adminActor } from '../../http/events.js'
import { AppError } from '../../errors/app-error.js'
import type { Services } from '../../services/index.js'
import { validateSettings, type Realm } from '../../domain/realm.js'
import { updateRealmSettings } from '../../services/realms.js'
import { field, type FieldErrors } from '../../domain/validation.js'
import { AdminIntegrationPage } from '../../views/pages/admin-integration.js'
import { realmOfPath } from './request.js'
import { adminUrl } from '../../views/admin-urls.js'
import { renderPage } from '../../views/render.js'

/**
 * Realm → Integration → Using LoginRocket → Node.js - Express: the realm's LOGINROCKET_URL and JWT key, the guide's
 * two configuration snippets filled in, and a form that adds the app's URL to the realm's Login URLs.
 */
export function adminIntegrationRoutes(services: Services) {
  const app = new Hono<AppEnv>()

  async function page(c: Context<AppEnv>, realm: Realm, form: { loginUrl?: string; errors?: FieldErrors; added?: string; reveal?: boolean }, status: 200 | 422 = 200) {
    const now = services.clock()
    await services.keys.ensure(realm, now)
    const alg = realm.settings.jwt_algo === 'hs256' ? 'HS256' : 'RS256'
    const key = await services.keys.appKey(realm, now)
    return renderPage(c,
      <AdminIntegrationPage
        email={c.get('admin').admin.email}
        csrf={c.get('csrf')}
        realm={{ id: realm.id, name: realm.name, loginUrls: realm.settings.login_urls }}
        loginrocketUrl={services.loginrocketUrlOf(realm)}
        alg={alg}
        jwtKey={alg === 'HS256' && !form.reveal ? null : key}
        loginUrl={form.loginUrl}
        errors={form.errors}
        added={form.added}
      />,
      status,
    )
  }

  app.get('/admin/realms/:id/integration', async (c) => {
    const realm = await realmOfPath(c, services)
    const added = c.req.query('added')
    return page(c, realm, { reveal: c.req.query('reveal') === '1', added: added && realm.settings.login_urls.includes(added) ? added : undefined })
  })

  app.post('/admin/realms/:id/integration/login-urls', async (c) => {
    const realm = await realmOfPath(c, services)
    const form = await c.req.parseBody()
    const typed = field(form, 'login_url').slice(0, 2000)
    if (typed === '') return page(c, realm, { loginUrl: typed, errors: { login_url: 'Enter your app’s URL, e.g. https://app.example.com.' } }, 422)
    let settings
    try {
      settings = validateSettings({ ...realm.settings, login_urls: [...realm.settings.login_urls, typed] })
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'invalid_setting') throw error
      const message = error.message.replace(/^login_urls(\.\d+)?: /, '')
      return page(c, realm, { loginUrl: typed, errors: { login_url: message } }, 422)
    }
    const url = settings.login_urls.at(-1)!
    // Already there (as typed, or the same once normalised): nothing to change.
    if (!realm.settings.login_urls.includes(url)) {
      const change = { actor: adminActor(c), changed: ['login_urls'], data: { added_login_url: url } }
      await updateRealmSettings(services, realm, settings, change, services.clock())
    }
    return c.redirect(`${adminUrl.realm(realm.id).integration}?added=${encodeURIComponent(url)}`, 303)
  })

  return app
}
