import { Migrator, type Migration, type MigrationProvider } from 'kysely'
import type { Db } from './connect.js'
import { migrations } from './migrations/index.js'

/** Brings the schema up to date; two processes starting at once are serialised by Kysely's lock table. */
export async function migrate(db: Db): Promise<void> {
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
