import { fetchJson } from './fetch-json.js'
import type { Logger } from './options.js'

/** The `iss` this app's tokens must carry. */
export interface IssuerSource {
  /** The issuer expected now, without waiting (the fallback until the realm has been asked). */
  current(): string
  /**
   * Whether `iss` is the realm's issuer. An authentic token naming another issuer makes the realm's discovery
   * document be read again (at most once per cooldown), so a realm whose issuer changed is followed without a restart.
   */
  accepts(iss: string): Promise<boolean>
}

/** The app's own `authrocket.issuer`: nothing is fetched. */
export function fixedIssuer(issuer: string): IssuerSource {
  return { current: () => issuer, accepts: (iss) => Promise.resolve(iss === issuer) }
}

export interface DiscoveredIssuerOptions {
  /** Used until the discovery document answers, and whenever it can't be read: the LoginRocket URL's origin. */
  fallback: string
  logger: Logger
  /** Minimum time between two fetches prompted by tokens naming another issuer. */
  cooldownMs?: number
  /** After this long, the document is read again in the background. */
  maxAgeMs?: number
  timeoutMs?: number
}

function issuerIn(json: unknown): string {
  const issuer = (json as { issuer?: unknown } | null)?.issuer
  if (typeof issuer !== 'string' || issuer === '' || issuer.length > 500) throw new Error('the document has no "issuer"')
  return issuer
}

/**
 * The realm's issuer from its discovery document (`<LoginRocket>/.well-known/openid-configuration`), cached with
 * the same rules as its keys. A realm may use AuthRocket's `https://authrocket.com` while apps on AuthRocket's
 * own middleware remain; this is how `@airlock/express` keeps up with it.
 */
export function discoveredIssuer(url: string, options: DiscoveredIssuerOptions): IssuerSource {
  // Only authentic tokens (their signature already checked) prompt a fetch, so the cooldown can be short:
  // a realm switched a moment after the app last looked then costs its users no refused login.
  const cooldownMs = options.cooldownMs ?? 5_000
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000
  const timeoutMs = options.timeoutMs ?? 5_000
  let issuer = options.fallback
  let fetchedAt = -Infinity
  let attemptedAt = -Infinity
  let pending: Promise<void> | null = null
  let failing = false

  function refresh(): Promise<void> {
    attemptedAt = Date.now()
    pending ??= fetchJson(url, timeoutMs)
      .then((json) => {
        issuer = issuerIn(json)
        fetchedAt = Date.now()
        if (failing) options.logger.warn(`airlock: the realm's issuer is read from ${url} again (${issuer})`)
        failing = false
      })
      .catch((error: unknown) => {
        if (!failing) {
          options.logger.warn(
            `airlock: cannot read the realm's issuer from ${url} (${(error as Error).message}); ` +
              `tokens must carry iss ${issuer} meanwhile. Set arMiddleware({ authrocket: { issuer } }) to name it yourself`,
          )
        }
        failing = true
      })
      .finally(() => {
        pending = null
      })
    return pending
  }

  const mayFetch = () => Date.now() - attemptedAt >= cooldownMs

  return {
    current: () => issuer,
    async accepts(iss) {
      if (pending) await pending
      else if (fetchedAt === -Infinity && mayFetch()) await refresh()
      else if (Date.now() - fetchedAt > maxAgeMs && mayFetch()) void refresh()
      if (iss === issuer) return true
      if (!mayFetch()) return false
      await refresh()
      return iss === issuer
    },
  }
}
