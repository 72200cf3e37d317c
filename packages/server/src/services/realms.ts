import { newId } from '../crypto/ids.js'
import { AppError } from '../errors/app-error.js'
import type { Services } from './index.js'
import { validateSettings, type RealmSettings, type Realm } from '../domain/realm.js'

/** A new realm served at its own LoginRocket URL (an origin on its own host), with its keys. */
export async function createRealm(services: Services, name: string | undefined, url: string | undefined): Promise<Realm> {
  const settings = validateSettings({ name: name ?? '' })
  let origin: string
  try {
    const parsed = new URL(url ?? '')
    if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.pathname !== '/' || parsed.search || parsed.username) throw new Error()
    origin = parsed.origin
  } catch {
    throw new AppError('invalid_setting', `loginrocket_url must be an origin such as https://login.example.com (got ${JSON.stringify(url ?? '')})`, { setting: 'loginrocket_url' })
  }
  if (new URL(origin).host === new URL(services.publicUrl).host) {
    throw new AppError('invalid_setting', 'loginrocket_url: the server’s own URL already serves the default realm; give this realm its own host', { setting: 'loginrocket_url' })
  }
  if (await services.realms.byHost(new URL(origin).host)) {
    throw new AppError('invalid_setting', `loginrocket_url: another realm is already served at ${origin}`, { setting: 'loginrocket_url' })
  }
  const now = services.clock()
  const id = newId('rl')
  await services.realms.insert({ id, name: settings.name, loginrocketUrl: origin, isDefault: false, settings }, now)
  const realm = (await services.realms.byId(id))!
  await services.keys.ensure(realm, now)
  return realm
}

/**
 * Saves a realm's settings: the one way the CLI and the portal change them. A switch of `jwt_algo` needs a live key
 * of the new algorithm before the next token is signed, so the key comes first (a key the realm never signs with
 * is harmless; settings that name an algorithm without a key would fail every login).
 */
export async function updateRealmSettings(services: Services, realm: Realm, settings: RealmSettings, now: Date): Promise<void> {
  await services.keys.ensure({ ...realm, name: settings.name, settings }, now)
  await services.realms.updateSettings(realm.id, settings, now)
}
