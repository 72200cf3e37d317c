import type { Kysely } from 'kysely'
import { toDbTime } from '../convert.js'
import type { Database } from '../schema.js'

/** The tables the retention pruning deletes from, and which of their rows are done with. */
export type PrunedTable = 'sessions' | 'admin_sessions' | 'one_time_tokens' | 'mails'

/**
 * Rows that no request can use any more, done with before `cutoff`: sessions and admin sessions ended or expired,
 * links used (or voided) or expired, mails (sent, failed or kept in the outbox) written. At most `limit` per call,
 * so each statement holds SQLite's write lock briefly however large the backlog.
 */
export function expiredRowsRepository(db: Kysely<Database>) {
  return {
    async deleteBatch(table: PrunedTable, cutoff: Date, limit: number): Promise<number> {
      const before = toDbTime(cutoff)
      const result =
        table === 'mails'
          ? await db
              .deleteFrom('mails')
              .where('id', 'in', db.selectFrom('mails').select('id').where('created_at', '<', before).limit(limit))
              .executeTakeFirst()
          : table === 'one_time_tokens'
            ? await db
                .deleteFrom('one_time_tokens')
                .where('id', 'in', db.selectFrom('one_time_tokens').select('id').where((eb) => eb.or([eb('used_at', '<', before), eb('expires_at', '<', before)])).limit(limit))
                .executeTakeFirst()
            : await db
                .deleteFrom(table)
                .where('id', 'in', db.selectFrom(table).select('id').where((eb) => eb.or([eb('ended_at', '<', before), eb('expires_at', '<', before)])).limit(limit))
                .executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}

export type ExpiredRowsRepository = ReturnType<typeof expiredRowsRepository>
