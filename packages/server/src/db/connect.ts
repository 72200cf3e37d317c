import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import type { Dialect } from './migrations/types.js'
import type { Database } from './schema.js'

export interface Db {
  kysely: Kysely<Database>
  dialect: Dialect
  /** A PostgreSQL pool or the SQLite handle, for libraries that need the raw client (rate limiting). */
  raw: { kind: 'postgres'; pool: pg.Pool } | { kind: 'sqlite'; database: SQLite.Database }
  /** True while the database answers. */
  ping(): Promise<boolean>
  close(): Promise<void>
}

export interface DbLocation {
  /** A postgres:// URL; when absent, SQLite under `dataDir`. */
  databaseUrl?: string | undefined
  dataDir: string
}

function openSqlite(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const database = new SQLite(join(dataDir, 'airlock.db'))
  database.pragma('journal_mode = WAL')
  // FULL: a committed signup or password change survives a power cut, not just a crash.
  database.pragma('synchronous = FULL')
  database.pragma('busy_timeout = 5000')
  database.pragma('foreign_keys = ON')
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database }) })
  return {
    kysely,
    dialect: 'sqlite',
    raw: { kind: 'sqlite', database },
    ping: async () => {
      try {
        database.prepare('select 1').get()
        return true
      } catch {
        return false
      }
    },
    close: () => kysely.destroy(),
  }
}

function openPostgres(url: string): Db {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000 })
  // A connection that dies (the server restarted, an admin terminated it) must not crash the process:
  // idle ones are dropped by the pool, and one checked out fails its next query, which answers 503.
  pool.on('error', () => {})
  pool.on('connect', (client) => client.on('error', () => {}))
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return {
    kysely,
    dialect: 'postgres',
    raw: { kind: 'postgres', pool },
    ping: async () => {
      try {
        await sql`select 1`.execute(kysely)
        return true
      } catch {
        return false
      }
    },
    close: () => kysely.destroy(),
  }
}

export function openDatabase(location: DbLocation): Db {
  return location.databaseUrl ? openPostgres(location.databaseUrl) : openSqlite(location.dataDir)
}
