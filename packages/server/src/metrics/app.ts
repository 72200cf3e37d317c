import { Hono } from 'hono'
import type { Registry } from 'prom-client'

/** What the metrics address serves: GET /metrics in Prometheus' text format, and nothing else. */
export function metricsApp(registry: Registry) {
  const app = new Hono()
  app.get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }))
  return app
}
