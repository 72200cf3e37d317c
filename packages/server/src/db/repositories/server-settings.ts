import type { Kysely } from 'kysely'
import type { Database } from '../schema.js'

/** Small server-wide values (the CSRF key, ...), shared by every process on the database. */
export function serverSettingRepository(db: Kysely<Database>) {
  return {
    async get(name: string): Promise<string | null> {
      const row = await db.selectFrom('server_settings').select('value').where('name', '=', name).executeTakeFirst()
      return row?.value ?? null
    },

    /** Stores `value` unless the setting exists, and returns what is stored (the first writer wins). */
    async getOrCreate(name: string, value: string): Promise<string> {
      await db.insertInto('server_settings').values({ name, value }).onConflict((oc) => oc.column('name').doNothing()).execute()
      return (await this.get(name))!
    },
  }
}
