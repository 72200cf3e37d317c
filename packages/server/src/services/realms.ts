import { newId } from '../crypto/ids.js'
import { AppError } from '../errors/app-error.js'
import type { Services } from './index.js'
import { attribute, type Actor } from '../domain/actor.js'
import { validateSettings, type RealmSettings, type Realm } from '../domain/realm.js'
import type { SigningKeyRecord } from '../domain/signing-key.js'

/** A new realm served at its own LoginRocket URL (an origin on its own host), with its keys; records `admin.realm.created`. */
export async function createRealm(services: Services, name: string | undefined, url: string | undefined, actor: Actor): Promise<Realm> {
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
  await services.events.record(
    attribute(actor, { type: 'admin.realm.created', realmId: realm.id, data: { name: realm.name, loginrocket_url: realm.loginrocketUrl } }),
    services.clock(),
  )
  return realm
}

/** What a settings change records: the settings it names, and details the page that made it adds. */
export interface SettingsChange {
  actor: Actor
  changed: string[]
  data?: Record<string, unknown>
}

/**
 * Saves a realm's settings and records `admin.realm.updated`: the one way the CLI and the portal change them. A
 * switch of `jwt_algo` needs a live key of the new algorithm before the next token is signed, so the key comes first
 * (a key the realm never signs with is harmless; settings that name an algorithm without a key would fail every login).
 */
export async function updateRealmSettings(services: Services, realm: Realm, settings: RealmSettings, change: SettingsChange, now: Date): Promise<void> {
  await services.keys.ensure({ ...realm, name: settings.name, settings }, now)
  await services.realms.updateSettings(realm.id, settings, now)
  await services.events.record(
    attribute(change.actor, { type: 'admin.realm.updated', realmId: realm.id, data: { changed: change.changed, ...change.data } }),
    services.clock(),
  )
}

/** A new signing key for the realm (the old ones keep verifying until they expire); records `admin.realm.key.rotated`. */
export async function rotateRealmKey(services: Services, realm: Realm, actor: Actor, now: Date): Promise<SigningKeyRecord> {
  const key = await services.keys.rotate(realm, now)
  await services.events.record(attribute(actor, { type: 'admin.realm.key.rotated', realmId: realm.id, data: { kid: key.id } }), services.clock())
  return key
}
