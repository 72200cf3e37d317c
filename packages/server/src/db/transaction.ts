import type { Kysely } from 'kysely'
import type { Database } from './schema.js'

/**
 * Runs `work` in a transaction, or inside the one `db` already is: a repository built over a transaction
 * (a signup's) then joins it instead of opening its own, which Kysely refuses (and SQLite, with one
 * connection, would wait for forever).
 */
export function inTransaction<T>(db: Kysely<Database>, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work)
}
