import type { AirlockMigration } from './types.js'

/**
 * The rate limiter's counters (src/db/repositories/rate-limits.ts; the limits are in src/services/throttle.ts),
 * shared by every server process, in the layout of
 * `rate-limiter-flexible`'s RateLimiterPostgres and RateLimiterSQLite (which wrote them until the limiter
 * got its own statements, so that a request's counters are written together).
 * `key` is `<limit>:<hash>`, `points` the count in the current window, `expire` its end in epoch ms.
 */
export const rateLimits: AirlockMigration = {
  async up(db, dialect) {
    await db.schema
      .createTable('rate_limits')
      .addColumn('key', dialect === 'postgres' ? 'varchar(255)' : 'text', (c) => c.primaryKey())
      .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('expire', 'bigint')
      .execute()
    // For the sweep that deletes windows that ended long ago.
    await db.schema.createIndex('rate_limits_expire').on('rate_limits').column('expire').execute()
  },
}
