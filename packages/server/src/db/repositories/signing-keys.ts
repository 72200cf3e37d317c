import type { Kysely, Selectable } from 'kysely'
import { fromDbTime, toDbTime } from '../convert.js'
import type { Database, SigningKeyTable } from '../schema.js'
import type { SigningKeyRecord } from '../../domain/signing-key.js'

function toKey(row: Selectable<SigningKeyTable>): SigningKeyRecord {
  return {
    id: row.id,
    realmId: row.realm_id,
    alg: row.alg,
    publicKey: row.public_key,
    secretSealed: row.secret_sealed,
    createdAt: fromDbTime(row.created_at),
    signsFrom: fromDbTime(row.signs_from),
    retireAt: fromDbTime(row.retire_at),
  }
}

export function signingKeyRepository(db: Kysely<Database>) {
  return {
    /** Adds a key; with `ignoreExisting`, a key with the same id already there wins. */
    async insert(key: SigningKeyRecord, { ignoreExisting = false } = {}): Promise<void> {
      let query = db
        .insertInto('signing_keys')
        .values({
          id: key.id,
          realm_id: key.realmId,
          alg: key.alg,
          public_key: key.publicKey,
          secret_sealed: key.secretSealed,
          created_at: toDbTime(key.createdAt),
          signs_from: toDbTime(key.signsFrom),
          retire_at: key.retireAt ? toDbTime(key.retireAt) : null,
        })
      if (ignoreExisting) query = query.onConflict((oc) => oc.column('id').doNothing())
      await query.execute()
    },

    /** Keys not yet retired at `now`, newest first. */
    async live(realmId: string, now: Date): Promise<SigningKeyRecord[]> {
      const rows = await db
        .selectFrom('signing_keys')
        .selectAll()
        .where('realm_id', '=', realmId)
        .where((eb) => eb.or([eb('retire_at', 'is', null), eb('retire_at', '>', toDbTime(now))]))
        .orderBy('signs_from', 'desc')
        .orderBy('created_at', 'desc')
        .execute()
      return rows.map(toKey)
    },

    async setRetireAt(ids: string[], retireAt: Date): Promise<void> {
      if (ids.length === 0) return
      await db.updateTable('signing_keys').set({ retire_at: toDbTime(retireAt) }).where('id', 'in', ids).execute()
    },
  }
}

export type SigningKeyRepository = ReturnType<typeof signingKeyRepository>
