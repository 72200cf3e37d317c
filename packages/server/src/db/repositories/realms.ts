import type { Kysely, Selectable } from 'kysely'
import { fromDbBool, fromDbTime, toDbBool, toDbTime } from '../convert.js'
import { jsonColumn } from '../json-column.js'
import type { Database, RealmTable } from '../schema.js'
import { realmSettingsSchema, type Realm, type RealmSettings } from '../../domain/realm.js'

// Settings are checked when written; reading them on every request only needs the parse, so the checked
// (and defaulted) value is remembered by its JSON text.
const settingsColumn = jsonColumn('realms.settings', realmSettingsSchema)
const parsedSettings = new Map<string, RealmSettings>()

function settingsOf(json: string, realmId: string): RealmSettings {
  let settings = parsedSettings.get(json)
  if (settings === undefined) {
    settings = settingsColumn.read(json, realmId)
    // Shared by every request that reads this realm: frozen, so no one can change it for the others.
    for (const value of Object.values(settings)) if (Array.isArray(value)) Object.freeze(value)
    Object.freeze(settings)
    if (parsedSettings.size >= 1000) parsedSettings.clear()
    parsedSettings.set(json, settings)
  }
  return settings
}

function toRealm(row: Selectable<RealmTable>): Realm {
  return {
    id: row.id,
    name: row.name,
    loginrocketUrl: row.loginrocket_url,
    isDefault: fromDbBool(row.is_default),
    settings: settingsOf(row.settings, row.id),
    createdAt: fromDbTime(row.created_at),
  }
}

export function realmRepository(db: Kysely<Database>) {
  return {
    /** Adds a realm; false when one with this id exists already. */
    async insert(realm: Omit<Realm, 'createdAt'>, now: Date): Promise<boolean> {
      const result = await db
        .insertInto('realms')
        .values({
          id: realm.id,
          name: realm.settings.name,
          loginrocket_url: realm.loginrocketUrl,
          is_default: toDbBool(realm.isDefault),
          settings: settingsColumn.write(realm.settings),
          created_at: toDbTime(now),
          updated_at: toDbTime(now),
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst()
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1
    },

    async byId(id: string): Promise<Realm | null> {
      const row = await db.selectFrom('realms').selectAll().where('id', '=', id).executeTakeFirst()
      return row ? toRealm(row) : null
    },

    /** Every realm, the default one first, then by creation. */
    async list(): Promise<Realm[]> {
      const rows = await db.selectFrom('realms').selectAll().orderBy('is_default', 'desc').orderBy('created_at').orderBy('id').execute()
      return rows.map(toRealm)
    },

    async defaultRealm(): Promise<Realm | null> {
      const row = await db.selectFrom('realms').selectAll().where('is_default', '=', toDbBool(true)).executeTakeFirst()
      return row ? toRealm(row) : null
    },

    /** The realm served at `host` (host[:port]), whichever scheme its LoginRocket URL has. */
    async byHost(host: string): Promise<Realm | null> {
      const row = await db
        .selectFrom('realms')
        .selectAll()
        .where('loginrocket_url', 'in', [`https://${host}`, `http://${host}`])
        .executeTakeFirst()
      return row ? toRealm(row) : null
    },

    async updateSettings(id: string, settings: RealmSettings, now: Date): Promise<void> {
      await db
        .updateTable('realms')
        .set({ name: settings.name, settings: settingsColumn.write(settings), updated_at: toDbTime(now) })
        .where('id', '=', id)
        .execute()
    },
  }
}

export type RealmRepository = ReturnType<typeof realmRepository>
