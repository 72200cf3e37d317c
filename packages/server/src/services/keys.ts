import { createPublicKey, generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto'
import type { Logger } from 'pino'
import type { SecretBox } from '../crypto/secret-box.js'
import { newId } from '../crypto/ids.js'
import type { Realm } from '../domain/realm.js'
import type { SigningKeyRepository } from '../db/repositories/signing-keys.js'
import type { SigningKeyRecord } from '../domain/signing-key.js'

type CryptoKey = webcrypto.CryptoKey

/** How long a new key is published before it signs: verifiers' JWKS caches have seen it by then. */
export const PUBLISH_AHEAD_MS = 15 * 60_000
/** Margin after the last token an old key signed has expired, before it leaves the JWKS. */
const RETIRE_MARGIN_MS = 5 * 60_000

export interface PublicJwk {
  kty: 'RSA'
  kid: string
  alg: 'RS256'
  use: 'sig'
  n: string
  e: string
  x5c: [string]
}

/**
 * A realm's first key of an algorithm has an id derived from the realm's (random) id, so processes that
 * start together and both find no key insert the same row and one of them wins.
 */
const initialKeyId = (realmId: string, alg: 'RS256' | 'HS256') => `key_${realmId.slice(3)}${alg === 'HS256' ? 'h' : 'r'}`

function newKeyRecord(realmId: string, alg: 'RS256' | 'HS256', box: SecretBox, now: Date, signsFrom: Date, id = newId('key')): SigningKeyRecord {
  if (alg === 'HS256') {
    const secret = `jsk_${randomBytes(32).toString('base64url')}`
    return { id, realmId, alg, publicKey: null, secretSealed: box.seal(secret), createdAt: now, signsFrom, retireAt: null }
  }
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    id,
    realmId,
    alg,
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    secretSealed: box.seal(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string),
    createdAt: now,
    signsFrom,
    retireAt: null,
  }
}

export const realmAlg = (realm: Realm): 'RS256' | 'HS256' => (realm.settings.jwt_algo === 'hs256' ? 'HS256' : 'RS256')

/** A realm's signing keys: creation, rotation, the JWKS, and the key material for signing and verifying. */
/**
 * How long a realm's live keys are remembered (each login and renewal reads them): a rotation in this process
 * shows at once, one made by another process (the CLI, another server on the same database) within this.
 */
export const KEY_CACHE_MS = 1000

export function keyService(repo: SigningKeyRepository, box: SecretBox, logger: Logger) {
  const imported = new Map<string, Promise<CryptoKey>>()
  const liveCache = new Map<string, { keys: SigningKeyRecord[]; at: Date; until: number; generation: number }>()
  let generation = 0
  const skewLogged = new Set<string>()
  const changed = () => {
    generation++
    liveCache.clear()
  }

  /**
   * The realm's keys not retired at `now`. A list read less than KEY_CACHE_MS ago (and for a `now` no earlier,
   * nor more than that later) is filtered again for `now` instead of read again.
   */
  async function liveKeys(realmId: string, now: Date): Promise<SigningKeyRecord[]> {
    const hit = liveCache.get(realmId)
    const age = now.getTime() - (hit?.at.getTime() ?? 0)
    if (hit && hit.generation === generation && hit.until > Date.now() && age >= 0 && age < KEY_CACHE_MS) {
      return hit.keys.filter((k) => k.retireAt === null || k.retireAt > now)
    }
    const before = generation
    const keys = await repo.live(realmId, now)
    // An empty list isn't kept: a realm whose first key another process is adding gets it at once.
    if (generation === before && keys.length > 0) {
      if (liveCache.size >= 1000) liveCache.clear()
      liveCache.set(realmId, { keys, at: now, until: Date.now() + KEY_CACHE_MS, generation })
    }
    return keys
  }

  function material(key: SigningKeyRecord, usage: 'sign' | 'verify'): Promise<CryptoKey> {
    const cacheKey = `${key.id}:${usage}`
    let found = imported.get(cacheKey)
    if (!found) {
      // Verifying an RS256 token needs the public key only, never the sealed private key.
      found =
        key.alg === 'HS256'
          ? webcrypto.subtle.importKey('raw', new TextEncoder().encode(box.open(key.secretSealed)), { name: 'HMAC', hash: 'SHA-256' }, false, [usage])
          : usage === 'sign'
            ? webcrypto.subtle.importKey('pkcs8', pemBody(box.open(key.secretSealed)), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign'])
            : webcrypto.subtle.importKey('spki', Buffer.from(key.publicKey!, 'base64'), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify'])
      imported.set(cacheKey, found)
    }
    return found
  }

  return {
    /** Gives a realm the key its algorithm needs, signing at once (a realm with no key yet has no verifiers to warn). */
    async ensure(realm: Realm, now: Date): Promise<void> {
      const live = await repo.live(realm.id, now)
      const alg = realmAlg(realm)
      if (live.some((k) => k.alg === alg)) return
      try {
        await repo.insert(newKeyRecord(realm.id, alg, box, now, now, initialKeyId(realm.id, alg)), { ignoreExisting: true })
      } finally {
        changed()
      }
    },

    /** Publishes a new key now, signing with it after PUBLISH_AHEAD_MS; the old ones leave once their tokens expire. */
    async rotate(realm: Realm, now: Date): Promise<SigningKeyRecord> {
      const alg = realmAlg(realm)
      const signsFrom = new Date(now.getTime() + PUBLISH_AHEAD_MS)
      const fresh = newKeyRecord(realm.id, alg, box, now, signsFrom)
      const old = (await repo.live(realm.id, now)).filter((k) => k.alg === alg && k.retireAt === null)
      try {
        await repo.insert(fresh)
        const lastTokenExpires = signsFrom.getTime() + realm.settings.jwt_minutes * 60_000
        await repo.setRetireAt(old.map((k) => k.id), new Date(lastTokenExpires + RETIRE_MARGIN_MS))
      } finally {
        changed()
      }
      return fresh
    },

    /** The realm's live keys for the portal, newest first: which the JWKS publishes, and which signs now. */
    async list(realm: Realm, now: Date): Promise<{ id: string; alg: string; createdAt: Date; signsFrom: Date; retireAt: Date | null; published: boolean; current: boolean }[]> {
      const live = await repo.live(realm.id, now)
      const current = live.find((k) => k.alg === realmAlg(realm) && k.signsFrom <= now)
      return live.map((k) => ({
        id: k.id,
        alg: k.alg,
        createdAt: k.createdAt,
        signsFrom: k.signsFrom,
        retireAt: k.retireAt,
        published: k.alg === 'RS256' && k.publicKey !== null,
        current: k === current,
      }))
    },

    /**
     * The key tokens are signed with now: the newest of the realm's algorithm whose signing time has come. When
     * none has come by this clock (another process, whose clock is ahead, made the realm's keys), the newest
     * published one signs: verifiers already have it, and refusing to sign would fail every login.
     */
    async signing(realm: Realm, now: Date): Promise<{ record: SigningKeyRecord; key: CryptoKey }> {
      const live = (await liveKeys(realm.id, now)).filter((k) => k.alg === realmAlg(realm))
      const record = live.find((k) => k.signsFrom <= now) ?? live[0]
      if (!record) throw new Error(`realm ${realm.id} has no signing key for ${realmAlg(realm)}`)
      if (record.signsFrom > now && !skewLogged.has(record.id)) {
        skewLogged.add(record.id)
        logger.warn(
          { realm: realm.id, kid: record.id, signsFrom: record.signsFrom.toISOString(), now: now.toISOString(), aheadSeconds: Math.round((record.signsFrom.getTime() - now.getTime()) / 1000) },
          'clock skew: this server\'s clock is behind the time its realm\'s newest key signs from (another server\'s clock is ahead?); signing with that key anyway',
        )
      }
      return { record, key: await material(record, 'sign') }
    },

    /**
     * True when every live key of the realm can be opened with this server's master key; false when they were
     * sealed under another AIRLOCK_SECRET (or another data folder's key file).
     */
    async opens(realm: Realm, now: Date): Promise<boolean> {
      const live = await repo.live(realm.id, now)
      try {
        for (const key of live) box.open(key.secretSealed)
        return true
      } catch {
        return false
      }
    },

    /** Every key a token of this realm may have been signed with, by kid. */
    async verifying(realm: Realm, now: Date): Promise<Map<string, { alg: string; key: () => Promise<CryptoKey> }>> {
      const live = await liveKeys(realm.id, now)
      return new Map(live.map((k) => [k.id, { alg: k.alg, key: () => material(k, 'verify') }]))
    },

    /** The published keys: every live RS256 key (HS256 secrets are never published). */
    async jwks(realm: Realm, now: Date): Promise<{ keys: PublicJwk[] }> {
      const live = await liveKeys(realm.id, now)
      return {
        keys: live
          .filter((k) => k.alg === 'RS256' && k.publicKey !== null)
          .map((k) => {
            const jwk = createPublicKey({ key: Buffer.from(k.publicKey!, 'base64'), format: 'der', type: 'spki' }).export({ format: 'jwk' })
            return { kty: 'RSA', kid: k.id, alg: 'RS256', use: 'sig', n: jwk.n!, e: jwk.e!, x5c: [k.publicKey!] }
          }),
      }
    },

    /** What an app configures as AUTHROCKET_JWT_KEY: the signing public key (RS256), or the shared secret (HS256). */
    async appKey(realm: Realm, now: Date): Promise<string> {
      const live = await liveKeys(realm.id, now)
      const key = live.find((k) => k.alg === realmAlg(realm) && k.signsFrom <= now) ?? live.find((k) => k.alg === realmAlg(realm))
      if (!key) throw new Error(`realm ${realm.id} has no key`)
      return key.alg === 'HS256' ? box.open(key.secretSealed) : key.publicKey!
    },
  }
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64')
}

export type KeyService = ReturnType<typeof keyService>
