import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Db } from '../db/connect.js'
import type { EventType } from '../domain/event.js'
import type { Metrics } from './metrics.js'

export interface PrometheusMetrics {
  metrics: Metrics
  /** What GET /metrics serves. */
  registry: Registry
  /** Adds the connection pool's gauges, read at each scrape (PostgreSQL only: SQLite has one connection, no pool). */
  watchPool(db: Db): void
}

/** The registry and the counters behind `Metrics`; loaded (with prom-client) only when AIRLOCK_METRICS_ADDRESS is set. */
export function prometheusMetrics(): PrometheusMetrics {
  const registry = new Registry()
  const registers = [registry]
  collectDefaultMetrics({ register: registry })

  const logins = new Counter({
    name: 'airlock_logins_total',
    help: 'Logins on the hosted pages (a signup or a completed password reset logs in too); failed: a wrong password, an unknown email or a disabled user',
    labelNames: ['realm', 'result'],
    registers,
  })
  const adminLogins = new Counter({
    name: 'airlock_admin_logins_total',
    help: 'Logins to the admin portal; failed: a wrong password or an unknown email',
    labelNames: ['result'],
    registers,
  })
  const signups = new Counter({ name: 'airlock_signups_total', help: 'Users who signed up (with or without an invitation)', labelNames: ['realm'], registers })
  const renewals = new Counter({
    name: 'airlock_token_renewals_total',
    help: 'POST /connect/renew answers: renewed, session_ended, token_too_old (401s) or unavailable (503)',
    labelNames: ['realm', 'result'],
    registers,
  })
  const refusals = new Counter({
    name: 'airlock_rate_limited_total',
    help: 'Requests refused with 429, by the limit that refused them',
    labelNames: ['limit'],
    registers,
  })
  const mails = new Counter({ name: 'airlock_mails_total', help: 'Mails sent, failed, or kept in the outbox (no SMTP)', labelNames: ['result'], registers })
  const durations = new Histogram({
    name: 'airlock_http_request_duration_seconds',
    help: 'Time to answer a request, by method, route pattern ("unmatched" when no route matched) and status',
    labelNames: ['method', 'route', 'status'],
    registers,
  })

  const byEvent: Partial<Record<EventType, (realm: string) => void>> = {
    'user.login.succeeded': (realm) => logins.inc({ realm, result: 'succeeded' }),
    'user.login.failed': (realm) => logins.inc({ realm, result: 'failed' }),
    'user.created': (realm) => signups.inc({ realm }),
    'admin.login.succeeded': () => adminLogins.inc({ result: 'succeeded' }),
    'admin.login.failed': () => adminLogins.inc({ result: 'failed' }),
  }

  const metrics: Metrics = {
    enabled: true,
    event: (type, realmId) => byEvent[type]?.(realmId ?? ''),
    renewal: (realm, result) => renewals.inc({ realm, result }),
    rateLimited: (limits) => {
      for (const limit of limits) refusals.inc({ limit })
    },
    mail: (result) => mails.inc({ result }),
    request: (method, route, status, seconds) => durations.observe({ method, route, status }, seconds),
  }

  function watchPool(db: Db): void {
    const stats = db.poolStats
    if (stats === undefined) return
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read())
        },
      })
    gauge('airlock_db_pool_connections', 'PostgreSQL connections open in the pool (busy and idle)', () => stats().total)
    gauge('airlock_db_pool_idle_connections', 'PostgreSQL connections open and idle', () => stats().idle)
    gauge('airlock_db_pool_waiting_queries', 'Queries waiting for a connection (the pool is at its maximum)', () => stats().waiting)
    gauge('airlock_db_pool_max_connections', 'The most connections the pool opens', () => stats().max)
  }

  return { metrics, registry, watchPool }
}
