import { Migrator, sql, type Migration, type MigrationProvider } from 'kysely'
import type { Db } from './connect.js'
import { migrations } from './migrations/index.js'

/** The schema is newer than this build: a newer Airlock migrated the database, and no build ever downgrades it. */
export class SchemaTooNewError extends Error {
  constructor(
    readonly schema: string,
    readonly latestKnown: string,
  ) {
    super(`its schema is at migration ${schema}, and this build knows up to ${latestKnown}`)
    this.name = 'SchemaTooNewError'
  }
}

/** The migrations a database has run that this build doesn't know, oldest first. */
export function unknownMigrations(applied: readonly string[]): string[] {
  return applied.filter((name) => !Object.hasOwn(migrations, name))
}

/** Kysely's record of the migrations run on a database: what makes an SQLite file an Airlock database. */
export const MIGRATION_TABLE = 'kysely_migration'

export const latestMigration = Object.keys(migrations).at(-1)!

/**
 * Brings the schema up to date; two processes starting at once are serialised by Kysely's lock table. A schema
 * newer than this build is refused before anything is written (an older version started during a rolling
 * upgrade must not serve tables it doesn't understand).
 */
export async function migrate(db: Db): Promise<void> {
  const applied = await appliedMigrations(db)
  const unknown = unknownMigrations(applied)
  if (unknown.length > 0) throw new SchemaTooNewError(unknown.at(-1)!, latestMigration)
  const provider: MigrationProvider = {
    async getMigrations() {
      const list: Record<string, Migration> = {}
      for (const [name, migration] of Object.entries(migrations)) {
        list[name] = { up: (kysely) => migration.up(kysely, db.dialect) }
      }
      return list
    },
  }
  const { error, results } = await new Migrator({ db: db.kysely, provider }).migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown'
    throw new Error(`database migration ${failed} failed: ${(error as Error).message}`)
  }
}

/** What Kysely's migrations table says has run; nothing on a fresh database. */
async function appliedMigrations(db: Db): Promise<string[]> {
  const exists =
    db.dialect === 'postgres'
      ? sql<{ found: unknown }>`select to_regclass(${MIGRATION_TABLE}) as found`
      : sql<{ found: unknown }>`select name as found from sqlite_master where type = 'table' and name = ${MIGRATION_TABLE}`
  const { rows: found } = await exists.execute(db.kysely)
  if (found[0]?.found == null) return []
  const { rows } = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(db.kysely)
  return rows.map((row) => row.name)
}
