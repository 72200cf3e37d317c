import { closeSync, openSync, readSync, statSync } from 'node:fs'
import SQLite from 'better-sqlite3'
import { AppError } from '../errors/app-error.js'
import { latestMigration, MIGRATION_TABLE, SchemaTooNewError, unknownMigrations } from './migrate.js'

/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1')

function startsLikeSqlite(file: string): boolean {
  const head = Buffer.alloc(SQLITE_HEADER.length)
  const fd = openSync(file, 'r')
  try {
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(SQLITE_HEADER)
  } finally {
    closeSync(fd)
  }
}

const refuse = (file: string, problem: string) => new AppError('invalid_setting', `--from ${file} ${problem}`, { setting: '--from' })

export interface OpenedBackup {
  /** The backup, open read-only: nothing done to it can change the file. */
  database: SQLite.Database
  /** The last migration its schema has. */
  schema: string
}

/**
 * Opens a backup read-only once it has passed every check that needs no key: an SQLite database (SQLite
 * would take an empty or foreign file for an empty database), whole (integrity_check), made by Airlock (its
 * migrations table), and no newer than this build, which couldn't run a schema it doesn't know.
 */
export function openBackup(file: string): OpenedBackup {
  let isFile: boolean
  try {
    isFile = statSync(file).isFile()
  } catch {
    throw refuse(file, 'does not exist')
  }
  if (!isFile || !startsLikeSqlite(file)) throw refuse(file, 'is not an SQLite database (nor an Airlock backup)')
  const database = new SQLite(file, { readonly: true, fileMustExist: true })
  try {
    let check: unknown
    try {
      check = database.pragma('integrity_check', { simple: true })
    } catch (error) {
      check = (error as Error).message
    }
    if (check !== 'ok') throw refuse(file, `is damaged: SQLite's integrity check says ${JSON.stringify(String(check))}`)
    const hasMigrations = database.prepare(`select 1 from sqlite_schema where type = 'table' and name = ?`).get(MIGRATION_TABLE) !== undefined
    const applied = hasMigrations ? (database.prepare(`select name from ${MIGRATION_TABLE} order by name`).all() as { name: string }[]).map((row) => row.name) : []
    if (applied.length === 0) throw refuse(file, `is an SQLite database but not an Airlock one (it has no ${MIGRATION_TABLE} table of Airlock's migrations)`)
    const unknown = unknownMigrations(applied)
    if (unknown.length > 0) {
      throw refuse(
        file,
        `comes from a newer Airlock: ${new SchemaTooNewError(unknown.at(-1)!, latestMigration).message}. Restore it with the version that wrote it, or a newer one`,
      )
    }
    return { database, schema: applied.at(-1)! }
  } catch (error) {
    database.close()
    throw error
  }
}
