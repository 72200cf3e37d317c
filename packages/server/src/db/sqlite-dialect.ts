import { setTimeout as sleep } from 'node:timers/promises'
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely'

/**
 * How long statements keep retrying while another process holds the database's write lock (a backup, the
 * `sqlite3` shell): past it they fail with SQLITE_BUSY, which answers 503 with Retry-After.
 */
export const BUSY_PATIENCE_MS = 1_500
/** SQLite's own busy wait, which blocks the event loop: a few ms, enough for another process's commit. */
export const BUSY_TIMEOUT_MS = 10

/** True for SQLite's "the database is locked by another connection", which goes away by itself. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
}

/**
 * Runs statements again while the database is locked, sleeping between tries so the event loop keeps serving
 * (better-sqlite3 is synchronous: a long busy_timeout would freeze every request). The wait is shared: once
 * a lock has lasted BUSY_PATIENCE_MS, every statement fails at its first SQLITE_BUSY, so requests queued
 * behind one another answer 503 at once instead of each waiting in turn. A write that gets through ends the
 * episode (reads get through a write lock: WAL).
 */
export function busyRetry(patienceMs = BUSY_PATIENCE_MS) {
  let lockedSince: number | undefined
  return async function whileBusy<T>(run: () => Promise<T>, writes: boolean): Promise<T> {
    for (let delay = 5, waited = false; ; delay = Math.min(delay * 2, 100), waited = true) {
      try {
        const result = await run()
        if (writes || waited) lockedSince = undefined
        return result
      } catch (error) {
        if (!isBusy(error)) throw error
        const now = Date.now()
        lockedSince ??= now
        if (now + delay > lockedSince + patienceMs) throw error
        await sleep(delay)
      }
    }
  }
}

/**
 * Kysely's SQLite dialect, with statements retried while another process holds the write lock, and
 * transactions that take the write lock when they begin (`begin immediate`): a transaction that read first
 * and then met another writer's commit could never write (SQLITE_BUSY_SNAPSHOT), and waiting for the lock
 * at `begin` is a clean retry, with nothing of ours held.
 */
export class PatientSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig
  readonly #inTransaction: () => boolean

  /** `inTransaction`: whether the connection is in a transaction (better-sqlite3's `database.inTransaction`). */
  constructor(config: SqliteDialectConfig & { inTransaction: () => boolean }) {
    super(config)
    this.#config = config
    this.#inTransaction = config.inTransaction
  }

  override createDriver(): Driver {
    const whileBusy = busyRetry()
    const inTransaction = this.#inTransaction
    return new (class extends SqliteDriver {
      override async acquireConnection(): Promise<DatabaseConnection> {
        const connection = await super.acquireConnection()
        return {
          executeQuery: (query) => whileBusy(async () => connection.executeQuery(query), query.query.kind !== 'SelectQueryNode'),
          streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
        }
      }

      override async beginTransaction(connection: DatabaseConnection): Promise<void> {
        await connection.executeQuery(CompiledQuery.raw('begin immediate'))
      }

      // After some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM) SQLite has rolled the transaction back itself:
      // a second rollback would fail ("no transaction is active") and hide the error that caused it.
      override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
        if (inTransaction()) await connection.executeQuery(CompiledQuery.raw('rollback'))
      }
    })(this.#config)
  }
}
