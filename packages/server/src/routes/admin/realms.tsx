import { Hono } from 'hono'
import { AppError } from '../../errors/app-error.js'
import type { AppEnv } from '../../http/env.js'
import { adminActor } from '../../http/events.js'
import { applyAssignments, SETTING_NAMES, type RealmSettings, type Realm } from '../../domain/realm.js'
import { createRealm, rotateRealmKey, updateRealmSettings } from '../../services/realms.js'
import type { Services } from '../../services/index.js'
import { field, type FieldErrors } from '../../domain/validation.js'
import { AdminKeysPage, AdminRealmSettingsPage, AdminRealmsPage, settingText } from '../../views/pages/admin-realms.js'
import { realmOfPath, realmRow, signedInAdmin } from './request.js'
import { adminUrl } from '../../views/admin-urls.js'
import { renderPage } from '../../views/render.js'

/** An `invalid_setting` error as the field error of the setting it names (without the name in front). */
function fieldError(error: unknown, known: readonly string[]): FieldErrors | null {
  if (!(error instanceof AppError) || error.code !== 'invalid_setting') return null
  const setting = typeof error.details?.setting === 'string' ? error.details.setting : ''
  const name = known.includes(setting) ? setting : known[0]!
  const message = error.message.startsWith(setting) ? error.message.slice(setting.length).replace(/^:?\s*/, '') : error.message
  return { [name]: message.charAt(0).toUpperCase() + message.slice(1) }
}

const settingsText = (settings: RealmSettings) => Object.fromEntries(SETTING_NAMES.map((name) => [name, settingText(settings[name])]))

/** The realms in the portal: list and create, every setting, and the keys with rotation. */
export function adminRealmRoutes(services: Services) {
  const app = new Hono<AppEnv>()
  // Guarded route by route: other portal pages live under /admin/realms/:id too.

  const rows = async () => (await services.realms.list()).map((realm) => realmRow(services, realm))

  app.get('/admin/realms', async (c) => renderPage(c, <AdminRealmsPage admin={signedInAdmin(c)} realms={await rows()} />))

  app.post('/admin/realms', async (c) => {
    const form = await c.req.parseBody()
    const values = { name: field(form, 'name').slice(0, 300), loginrocket_url: field(form, 'loginrocket_url').slice(0, 300) }
    let realm: Realm
    try {
      realm = await createRealm(services, values.name, values.loginrocket_url, adminActor(c))
    } catch (error) {
      const errors = fieldError(error, ['loginrocket_url', 'name'])
      if (!errors) throw error
      return renderPage(c, <AdminRealmsPage admin={signedInAdmin(c)} realms={await rows()} values={values} errors={errors} status={422} />, 422)
    }
    return c.redirect(adminUrl.realm(realm.id).settings, 303)
  })

  app.get('/admin/realms/:id/settings', async (c) => {
    const realm = await realmOfPath(c, services)
    return renderPage(c, <AdminRealmSettingsPage admin={signedInAdmin(c)} realm={realmRow(services, realm)} values={settingsText(realm.settings)} saved={c.req.query('saved') === '1'} />)
  })

  app.post('/admin/realms/:id/settings', async (c) => {
    const realm = await realmOfPath(c, services)
    const form = await c.req.parseBody()
    const values = Object.fromEntries(SETTING_NAMES.map((name) => [name, field(form, name).slice(0, 10_000)]))
    let settings: RealmSettings
    try {
      // The CLI's rules: the same text-to-value conversion and validation as `airlock realm settings KEY=VALUE`.
      settings = applyAssignments(realm.settings, SETTING_NAMES.map((name) => `${name}=${values[name]}`))
    } catch (error) {
      const errors = fieldError(error, SETTING_NAMES)
      if (!errors) throw error
      return renderPage(c, <AdminRealmSettingsPage admin={signedInAdmin(c)} realm={realmRow(services, realm)} values={values} errors={errors} />, 422)
    }
    const now = services.clock()
    const changed = SETTING_NAMES.filter((name) => JSON.stringify(settings[name]) !== JSON.stringify(realm.settings[name]))
    if (changed.length > 0) {
      await updateRealmSettings(services, realm, settings, { actor: adminActor(c), changed }, now)
    }
    return c.redirect(`${adminUrl.realm(realm.id).settings}?saved=1`, 303)
  })

  app.get('/admin/realms/:id/keys', async (c) => {
    const realm = await realmOfPath(c, services)
    const keys = await services.keys.list(realm, services.clock())
    return renderPage(c, <AdminKeysPage admin={signedInAdmin(c)} realm={realmRow(services, realm)} keys={keys} rotated={c.req.query('rotated') === '1'} />)
  })

  app.post('/admin/realms/:id/keys/rotate', async (c) => {
    const realm = await realmOfPath(c, services)
    await rotateRealmKey(services, realm, adminActor(c), services.clock())
    return c.redirect(`${adminUrl.realm(realm.id).keys}?rotated=1`, 303)
  })

  return app
}
