import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, PostgresDialect, sql } from 'kysely'
import type pg from 'pg'
import { ConfigError } from '../config/load.js'
import type { Dialect } from './migrations/types.js'
import type { Database } from './schema.js'
import { BUSY_TIMEOUT_MS, PatientSqliteDialect } from './sqlite-dialect.js'

export interface Db {
  kysely: Kysely<Database>
  dialect: Dialect
  /**
   * A PostgreSQL pool, or the SQLite handle with `prepare` (cached statements), for storage code in db/ that
   * needs the raw client (the rate limits' repository); nothing outside db/ uses it.
   */
  raw: { kind: 'postgres'; pool: pg.Pool } | { kind: 'sqlite'; database: SQLite.Database; prepare(sql: string): SQLite.Statement }
  /** How busy the PostgreSQL pool is (for the metrics); undefined on SQLite, which has no pool. */
  poolStats: (() => PoolStats) | undefined
  /** True while the database answers and can take a write (a write it rolls back: SQLITE_WRITE_PROBE). */
  ping(): Promise<boolean>
  close(): Promise<void>
}

export interface PoolStats {
  /** Connections open, busy and idle. */
  total: number
  idle: number
  /** Queries waiting for a connection (the pool is at its maximum). */
  waiting: number
  /** The most connections the pool opens. */
  max: number
}

export interface DbLocation {
  /** A postgres:// URL; when absent, SQLite under `dataDir`. */
  databaseUrl?: string | undefined
  dataDir: string
}

/** Statements kept per connection; past that the cache starts afresh (queries with `in (...)` lists vary). */
const STATEMENT_CACHE_SIZE = 500

/**
 * `prepare` that keeps each statement by its SQL text: Kysely and the rate limiter would otherwise compile
 * every query anew (tens of µs each, several per request). A statement still being iterated (a streamed
 * query) is busy, and then a fresh one is prepared.
 */
function statementCache(database: SQLite.Database): (sql: string) => SQLite.Statement {
  const cache = new Map<string, SQLite.Statement>()
  return (text) => {
    let statement = cache.get(text)
    if (statement === undefined || statement.busy) {
      statement = database.prepare(text)
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear()
      cache.set(text, statement)
    }
    return statement
  }
}

/**
 * The database file, created readable by its owner only: it holds CSRF keys, sessions and live reset links.
 * SQLite would create it 0644 (less the umask), and creates its -wal and -shm files with the database's mode.
 */
function createPrivateFile(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return
    throw error
  }
  // The umask may have taken bits away (a umask of 0277 would leave it unwritable): exactly 0600.
  chmodSync(file, 0o600)
}

/**
 * The write /healthz tries, and rolls back, in the table every request writes to. On SQLite a row larger than
 * a page: it needs the write lock (another process holding it, a read-only file) and free pages (a database at
 * its size limit). On PostgreSQL a row: the server must accept writes and find room for it. Rolled back,
 * nothing reaches the disk (no fsync, no growth): cheap enough for a load balancer's polling. A disk too full
 * for SQLite's WAL to grow is met by the writes themselves, which answer 503.
 */
const SQLITE_WRITE_PROBE = `insert into rate_limits (key, points, expire) values ('healthz:' || hex(zeroblob(4096)), 0, 0)`
const POSTGRES_WRITE_PROBE = `insert into rate_limits (key, points, expire) values ('healthz:probe', 0, 0)`
const ROLLBACK = new Error('health probe rolled back')

function openSqlite(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const file = join(dataDir, 'airlock.db')
  createPrivateFile(file)
  const database = new SQLite(file)
  database.pragma('journal_mode = WAL')
  // FULL: a committed signup or password change survives a power cut, not just a crash.
  database.pragma('synchronous = FULL')
  // A short wait only: it blocks the event loop. Longer locks are waited for between statements (sqlite-dialect.ts).
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
  database.pragma('foreign_keys = ON')
  const prepare = statementCache(database)
  const kysely = new Kysely<Database>({ dialect: new PatientSqliteDialect({ database: { prepare, close: () => database.close() }, inTransaction: () => database.inTransaction }) })
  return {
    kysely,
    dialect: 'sqlite',
    raw: { kind: 'sqlite', database, prepare },
    poolStats: undefined,
    ping: async () => {
      // A transaction of ours is open (between its statements): we hold the write lock, and it is writing.
      if (database.inTransaction) return true
      try {
        prepare('begin immediate').run()
        try {
          prepare(SQLITE_WRITE_PROBE).run()
        } finally {
          // SQLite may have rolled back by itself (SQLITE_FULL, SQLITE_IOERR).
          if (database.inTransaction) prepare('rollback').run()
        }
        return true
      } catch {
        return false
      }
    },
    close: () => kysely.destroy(),
  }
}

function openPostgres(url: string): Db {
  // Loaded only here: a SQLite server never pays for pg's modules at start.
  const { Pool } = createRequire(import.meta.url)('pg') as typeof pg
  const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000 })
  // A connection that dies (the server restarted, an admin terminated it) must not crash the process:
  // idle ones are dropped by the pool, and one checked out fails its next query, which answers 503.
  pool.on('error', () => {})
  pool.on('connect', (client) => client.on('error', () => {}))
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return {
    kysely,
    dialect: 'postgres',
    raw: { kind: 'postgres', pool },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max }),
    ping: () =>
      kysely
        .transaction()
        .execute(async (trx) => {
          await sql.raw(POSTGRES_WRITE_PROBE).execute(trx)
          throw ROLLBACK
        })
        .then(
          () => false,
          (error: unknown) => error === ROLLBACK,
        ),
    close: () => kysely.destroy(),
  }
}

export function openDatabase(location: DbLocation): Db {
  return location.databaseUrl ? openPostgres(location.databaseUrl) : openSqlite(location.dataDir)
}

/** `url` as it may be shown in a message or a log: its password replaced by `***`, its query (which may hold `password=`) left out. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    parsed.search = ''
    return parsed.href
  } catch {
    return 'a URL that could not be parsed'
  }
}

/** Why a connection failed, in pg's or Node's words (an AggregateError, one per address tried, has no message of its own). */
function reasonOf(error: unknown): string {
  const first = error instanceof AggregateError ? (error.errors[0] as unknown) : error
  const { message, code } = (first ?? {}) as { message?: string; code?: string }
  return message || code || String(first)
}

/**
 * At start-up, before anything else touches the database: a PostgreSQL server that is down, a missing database
 * or refused credentials stop the start with a message naming DATABASE_URL (its password hidden), within the
 * pool's connection timeout, rather than a stack trace from the first migration. SQLite opened its file already.
 */
export async function checkReachable(db: Db, location: DbLocation): Promise<void> {
  if (db.raw.kind !== 'postgres' || location.databaseUrl === undefined) return
  try {
    await db.raw.pool.query('select 1')
  } catch (error) {
    throw new ConfigError('DATABASE_URL', `(${withoutPassword(location.databaseUrl)}): the database can't be reached: ${reasonOf(error)}`)
  }
}
