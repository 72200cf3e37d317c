import type { Kysely, Selectable } from 'kysely'
import { fromDbTime, toDbTime } from '../convert.js'
import type { Database, SessionTable } from '../schema.js'
import type { LoginSession, SessionDetails } from '../../domain/session.js'

function toSession(row: Selectable<SessionTable>): LoginSession {
  return {
    id: row.id,
    realmId: row.realm_id,
    userId: row.user_id,
    createdAt: fromDbTime(row.created_at),
    expiresAt: fromDbTime(row.expires_at),
    endedAt: fromDbTime(row.ended_at),
  }
}

export function sessionRepository(db: Kysely<Database>) {
  return {
    async insert(session: LoginSession & { secretHash: string; userAgent: string | null; ip: string | null }): Promise<void> {
      await db
        .insertInto('sessions')
        .values({
          id: session.id,
          realm_id: session.realmId,
          user_id: session.userId,
          secret_hash: session.secretHash,
          created_at: toDbTime(session.createdAt),
          expires_at: toDbTime(session.expiresAt),
          ended_at: null,
          user_agent: session.userAgent,
          ip: session.ip,
        })
        .execute()
    },

    /** The session a browser secret belongs to, if it is still alive at `now`. */
    async liveBySecretHash(realmId: string, secretHash: string, now: Date): Promise<LoginSession | null> {
      const row = await db
        .selectFrom('sessions')
        .selectAll()
        .where('realm_id', '=', realmId)
        .where('secret_hash', '=', secretHash)
        .where('ended_at', 'is', null)
        .where('expires_at', '>', toDbTime(now))
        .executeTakeFirst()
      return row ? toSession(row) : null
    },

    async liveById(realmId: string, id: string, now: Date): Promise<LoginSession | null> {
      const row = await db
        .selectFrom('sessions')
        .selectAll()
        .where('realm_id', '=', realmId)
        .where('id', '=', id)
        .where('ended_at', 'is', null)
        .where('expires_at', '>', toDbTime(now))
        .executeTakeFirst()
      return row ? toSession(row) : null
    },

    async end(realmId: string, id: string, now: Date): Promise<void> {
      await db
        .updateTable('sessions')
        .set({ ended_at: toDbTime(now) })
        .where('realm_id', '=', realmId)
        .where('id', '=', id)
        .where('ended_at', 'is', null)
        .execute()
    },

    /** Ends every live session of a user except `keepId` (after a change of credentials); returns the ids of those it ended. */
    async endAllForUser(realmId: string, userId: string, now: Date, keepId?: string): Promise<string[]> {
      let query = db
        .updateTable('sessions')
        .set({ ended_at: toDbTime(now) })
        .where('realm_id', '=', realmId)
        .where('user_id', '=', userId)
        .where('ended_at', 'is', null)
        .where('expires_at', '>', toDbTime(now))
      if (keepId) query = query.where('id', '!=', keepId)
      const rows = await query.returning('id').execute()
      return rows.map((row) => row.id)
    },

    /** A user's live sessions, newest first. */
    async liveOfUser(realmId: string, userId: string, now: Date): Promise<SessionDetails[]> {
      const rows = await db
        .selectFrom('sessions')
        .selectAll()
        .where('realm_id', '=', realmId)
        .where('user_id', '=', userId)
        .where('ended_at', 'is', null)
        .where('expires_at', '>', toDbTime(now))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute()
      return rows.map((row) => ({ ...toSession(row), ip: row.ip, userAgent: row.user_agent }))
    },
  }
}

export type SessionRepository = ReturnType<typeof sessionRepository>
