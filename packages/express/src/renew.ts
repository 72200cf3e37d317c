import type { Logger } from './options.js'
import type { TokenClaims } from './types.js'
import type { Verifier } from './verify.js'

export type Renewal =
  | { status: 'renewed'; token: string; claims: TokenClaims }
  /** The LoginRocket session has ended: the user is logged out. */
  | { status: 'ended' }
  /** LoginRocket could not answer; try again later. */
  | { status: 'unavailable' }

export interface RenewerOptions {
  url: string
  verify: Verifier
  logger: Logger
  timeoutMs?: number
  /** After a failure, renewals are not attempted for this long (requests don't each wait on a dead server). */
  retryAfterMs?: number
}

export type Renewer = (token: string, claims: TokenClaims) => Promise<Renewal>

// A browser sends requests with the old cookie for a moment after the new one was set.
const REMEMBER_MS = 30_000
const REMEMBER_MAX = 10_000

/**
 * Renews login tokens server-to-server (`POST /connect/renew`), at most once at a time per
 * LoginRocket session; the outcome is shared by every request that carried the same token.
 */
export function createRenewer(options: RenewerOptions): Renewer {
  const timeoutMs = options.timeoutMs ?? 5_000
  const retryAfterMs = options.retryAfterMs ?? 30_000
  const inflight = new Map<string, Promise<Renewal>>()
  const recent = new Map<string, { renewal: Renewal; until: number }>()
  let pausedUntil = 0
  let failing = false

  function unavailable(why: string): Renewal {
    pausedUntil = Date.now() + retryAfterMs
    if (!failing) options.logger.warn(`airlock: cannot renew login tokens at ${options.url} (${why}); valid tokens stay in use`)
    failing = true
    return { status: 'unavailable' }
  }

  function remember(token: string, renewal: Renewal): void {
    if (recent.size >= REMEMBER_MAX) recent.delete(recent.keys().next().value as string)
    recent.set(token, { renewal, until: Date.now() + REMEMBER_MS })
  }

  async function ask(token: string, claims: TokenClaims): Promise<Renewal> {
    let response: Response
    try {
      response = await fetch(options.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (error) {
      return unavailable((error as Error).message)
    }
    if (response.status === 401) {
      await response.body?.cancel()
      return { status: 'ended' }
    }
    if (response.status !== 200) {
      await response.body?.cancel()
      return unavailable(`HTTP ${response.status}`)
    }
    let fresh: unknown
    try {
      fresh = ((await response.json()) as { token?: unknown })?.token
    } catch {
      return unavailable('the answer is not JSON')
    }
    if (typeof fresh !== 'string') return unavailable('the answer has no token')
    const checked = await options.verify(fresh)
    if (checked.status !== 'valid' || checked.claims.sub !== claims.sub) {
      return unavailable('the renewed token does not verify')
    }
    if (failing) options.logger.warn(`airlock: renewing login tokens at ${options.url} works again`)
    failing = false
    return { status: 'renewed', token: fresh, claims: checked.claims }
  }

  return function renew(token: string, claims: TokenClaims): Promise<Renewal> {
    const known = recent.get(token)
    if (known !== undefined && known.until > Date.now()) return Promise.resolve(known.renewal)
    const key = claims.sid ?? token
    const running = inflight.get(key)
    if (running !== undefined) return running
    if (Date.now() < pausedUntil) return Promise.resolve({ status: 'unavailable' })

    const renewal = ask(token, claims).then((outcome) => {
      if (outcome.status !== 'unavailable') remember(token, outcome)
      return outcome
    })
    inflight.set(key, renewal)
    void renewal.finally(() => inflight.delete(key))
    return renewal
  }
}
