import type { Realm } from '../domain/realm.js'
import type { keyService } from './keys.js'

/**
 * True when the master key opens the live signing keys of every realm. A server whose key can't would fail
 * every login (500) and answer every renewal as if the session had ended, while looking healthy: boot and
 * restore refuse such a key.
 */
export async function masterKeyOpensAll(keys: Pick<ReturnType<typeof keyService>, 'opens'>, realms: Realm[], now: Date): Promise<boolean> {
  for (const realm of realms) {
    if (!(await keys.opens(realm, now))) return false
  }
  return true
}
