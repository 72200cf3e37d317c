import type { EventType } from '../domain/event.js'
import type { LimitName } from '../services/throttle.js'

/** How a POST /connect/renew ended: a fresh token, one of its 401s, or a 503. */
export type RenewalResult = 'renewed' | 'session_ended' | 'token_too_old' | 'unavailable'

/** Delivered to the SMTP server, refused by it (or unreachable), or kept in the outbox (no AIRLOCK_SMTP_URL). */
export type MailResult = 'sent' | 'failed' | 'outbox'

/**
 * What the server counts for Prometheus (prometheus.ts). Services and routes get one of these as a dependency;
 * without AIRLOCK_METRICS_ADDRESS it is `noMetrics`, whose calls do nothing, and prom-client is never loaded.
 */
export interface Metrics {
  /** False for `noMetrics`: the app then doesn't time its requests at all. */
  readonly enabled: boolean
  /** An event that happened (committed, for those written in a transaction); only some types have a metric. */
  event(type: EventType, realmId: string | null): void
  renewal(realmId: string, result: RenewalResult): void
  /** A request refused by these limits (a request over two limits counts for both). */
  rateLimited(limits: readonly LimitName[]): void
  mail(result: MailResult): void
  /** A request answered: `route` is the pattern that matched (never the raw path: the label set must stay bounded). */
  request(method: string, route: string, status: number, seconds: number): void
}

const nothing = () => {}

export const noMetrics: Metrics = { enabled: false, event: nothing, renewal: nothing, rateLimited: nothing, mail: nothing, request: nothing }
