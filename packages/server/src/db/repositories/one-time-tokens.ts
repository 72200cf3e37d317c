import type { Kysely, Selectable } from 'kysely'
import { fromDbTime, toDbTime } from '../convert.js'
import { inTransaction } from '../transaction.js'
import type { Database, OneTimeTokenTable } from '../schema.js'
import type { OneTimeToken, TokenPurpose } from '../../domain/one-time-token.js'

export function oneTimeTokenRepository(db: Kysely<Database>) {
  return {
    /** Stores a new token and voids the user's earlier unused ones of the same purpose, atomically. */
    async replace(token: OneTimeToken & { tokenHash: string }): Promise<void> {
      await inTransaction(db, async (trx) => {
        if (token.userId !== null) {
          await trx
            .updateTable('one_time_tokens')
            .set({ used_at: toDbTime(token.createdAt) })
            .where('user_id', '=', token.userId)
            .where('purpose', '=', token.purpose)
            .where('used_at', 'is', null)
            .execute()
        }
        await insert(trx, token)
      })
    },

    /** Stores a new token next to the user's others of its purpose. */
    async add(token: OneTimeToken & { tokenHash: string }): Promise<void> {
      await insert(db, token)
    },

    /** Voids every unused token of the user in one statement, except those of `keep.purpose` (made before `keep.createdBefore`, if given). */
    async voidAllForUser(userId: string, now: Date, keep?: { purpose: TokenPurpose; createdBefore?: Date }): Promise<void> {
      await db
        .updateTable('one_time_tokens')
        .set({ used_at: toDbTime(now) })
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .$if(keep !== undefined, (query) =>
          query.where((eb) =>
            eb.not(
              eb.and([
                eb('purpose', '=', keep!.purpose),
                ...(keep!.createdBefore ? [eb('created_at', '<', toDbTime(keep!.createdBefore))] : []),
              ]),
            ),
          ),
        )
        .execute()
    },

    /** A usable token: right purpose, unused and unexpired. Reading it does not use it up. */
    async find(purpose: TokenPurpose, tokenHash: string, now: Date): Promise<OneTimeToken | null> {
      const row = await db
        .selectFrom('one_time_tokens')
        .selectAll()
        .where('purpose', '=', purpose)
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', toDbTime(now))
        .executeTakeFirst()
      return row ? toToken(row) : null
    },

    /** Marks a token used; false when another request used it first. */
    async consume(id: string, now: Date): Promise<boolean> {
      const result = await db
        .updateTable('one_time_tokens')
        .set({ used_at: toDbTime(now) })
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) === 1
    },
  }
}

function insert(db: Kysely<Database>, token: OneTimeToken & { tokenHash: string }) {
  return db
    .insertInto('one_time_tokens')
    .values({
      id: token.id,
      realm_id: token.realmId,
      user_id: token.userId,
      purpose: token.purpose,
      token_hash: token.tokenHash,
      email: token.email,
      created_at: toDbTime(token.createdAt),
      expires_at: toDbTime(token.expiresAt),
      used_at: null,
    })
    .execute()
}

function toToken(row: Selectable<OneTimeTokenTable>): OneTimeToken {
  return {
    id: row.id,
    realmId: row.realm_id,
    userId: row.user_id,
    purpose: row.purpose,
    email: row.email,
    createdAt: fromDbTime(row.created_at),
    expiresAt: fromDbTime(row.expires_at),
  }
}

export type OneTimeTokenRepository = ReturnType<typeof oneTimeTokenRepository>
