import { createLocalJWKSet, errors, type JSONWebKeySet, type JWK, type JWSHeaderParameters } from 'jose'
import { fetchJson } from './fetch-json.js'
import type { Logger } from './options.js'

type KeyResolver = ReturnType<typeof createLocalJWKSet>
export type VerifyKey = Awaited<ReturnType<KeyResolver>>

export interface RemoteKeySetOptions {
  /** Minimum time between two fetches; a flood of unknown `kid`s costs one fetch per this period. */
  cooldownMs?: number
  /** After this long, keys are refreshed in the background; stale keys keep working meanwhile. */
  maxAgeMs?: number
  timeoutMs?: number
  logger: Logger
}

function usable(key: unknown): key is JWK {
  if (key === null || typeof key !== 'object') return false
  const jwk = key as JWK
  // Only keys that declare RS256 for signatures: the algorithm comes from the key, never the token.
  return jwk.kty === 'RSA' && jwk.alg === 'RS256' && (jwk.use === undefined || jwk.use === 'sig')
}

async function fetchKeys(url: string, timeoutMs: number): Promise<JSONWebKeySet> {
  const json = await fetchJson(url, timeoutMs)
  const keys = (json as { keys?: unknown })?.keys
  if (!Array.isArray(keys)) throw new Error('response has no "keys" array')
  return { keys: keys.filter(usable) }
}

/**
 * The realm's published keys, fetched from its JWKS and cached. An unknown `kid` triggers at most
 * one fetch per cooldown, shared by every request waiting on it; an unreachable JWKS leaves the
 * known keys in service.
 */
export function remoteKeySet(url: string, options: RemoteKeySetOptions) {
  const cooldownMs = options.cooldownMs ?? 30_000
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000
  const timeoutMs = options.timeoutMs ?? 5_000
  let local: KeyResolver | null = null
  let fetchedAt = 0
  let attemptedAt = -Infinity
  let pending: Promise<void> | null = null
  let failing = false

  function refresh(): Promise<void> {
    attemptedAt = Date.now()
    pending ??= fetchKeys(url, timeoutMs)
      .then((jwks) => {
        local = createLocalJWKSet(jwks)
        fetchedAt = Date.now()
        if (failing) options.logger.warn(`airlock: keys fetched from ${url} again`)
        failing = false
      })
      .catch((error: unknown) => {
        if (!failing) {
          options.logger.warn(`airlock: cannot fetch keys from ${url} (${(error as Error).message}); known keys stay in use`)
        }
        failing = true
      })
      .finally(() => {
        pending = null
      })
    return pending
  }

  const mayFetch = () => Date.now() - attemptedAt >= cooldownMs

  return async function getKey(header: JWSHeaderParameters): Promise<VerifyKey> {
    if (pending) await pending
    else if (local === null && mayFetch()) await refresh()
    else if (local !== null && Date.now() - fetchedAt > maxAgeMs && mayFetch()) void refresh()

    if (local === null) throw new errors.JWKSNoMatchingKey()
    try {
      return await local(header)
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || !mayFetch()) throw error
    }
    await refresh()
    return local(header)
  }
}
