import type { Kysely, Selectable } from 'kysely'
import { fromDbTime, toDbTime } from '../convert.js'
import type { AdminSessionTable, AdminTable, Database } from '../schema.js'
import type { Admin, AdminSession } from '../../domain/admin.js'
import { normalizeEmail } from '../../domain/user.js'

function toAdmin(row: Selectable<AdminTable>): Admin {
  return { id: row.id, email: row.email, passwordHash: row.password_hash, createdAt: fromDbTime(row.created_at), lastLoginAt: fromDbTime(row.last_login_at) }
}

function toSession(row: Selectable<AdminSessionTable>): AdminSession {
  return {
    id: row.id,
    adminId: row.admin_id,
    createdAt: fromDbTime(row.created_at),
    lastSeenAt: fromDbTime(row.last_seen_at),
    expiresAt: fromDbTime(row.expires_at),
    endedAt: fromDbTime(row.ended_at),
  }
}

export function adminRepository(db: Kysely<Database>) {
  return {
    /** Adds an admin; false when the email (as compared) is taken. */
    async insert(admin: Omit<Admin, 'lastLoginAt'>): Promise<boolean> {
      const result = await db
        .insertInto('admins')
        .values({
          id: admin.id,
          email: admin.email,
          email_normalized: normalizeEmail(admin.email),
          password_hash: admin.passwordHash,
          created_at: toDbTime(admin.createdAt),
          last_login_at: null,
        })
        .onConflict((oc) => oc.column('email_normalized').doNothing())
        .executeTakeFirst()
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1
    },

    async any(): Promise<boolean> {
      const row = await db.selectFrom('admins').select('id').limit(1).executeTakeFirst()
      return row !== undefined
    },

    async byEmail(email: string): Promise<Admin | null> {
      const row = await db.selectFrom('admins').selectAll().where('email_normalized', '=', normalizeEmail(email)).executeTakeFirst()
      return row ? toAdmin(row) : null
    },

    async byId(id: string): Promise<Admin | null> {
      const row = await db.selectFrom('admins').selectAll().where('id', '=', id).executeTakeFirst()
      return row ? toAdmin(row) : null
    },

    async loggedIn(id: string, now: Date): Promise<void> {
      await db.updateTable('admins').set({ last_login_at: toDbTime(now) }).where('id', '=', id).execute()
    },

    async insertSession(session: AdminSession & { secretHash: string }): Promise<void> {
      await db
        .insertInto('admin_sessions')
        .values({
          id: session.id,
          admin_id: session.adminId,
          secret_hash: session.secretHash,
          created_at: toDbTime(session.createdAt),
          last_seen_at: toDbTime(session.lastSeenAt),
          expires_at: toDbTime(session.expiresAt),
          ended_at: null,
        })
        .execute()
    },

    /** The session a browser secret opens: not ended, not expired, and seen since `seenSince`. */
    async liveSession(secretHash: string, now: Date, seenSince: Date): Promise<AdminSession | null> {
      const row = await db
        .selectFrom('admin_sessions')
        .selectAll()
        .where('secret_hash', '=', secretHash)
        .where('ended_at', 'is', null)
        .where('expires_at', '>', toDbTime(now))
        .where('last_seen_at', '>', toDbTime(seenSince))
        .executeTakeFirst()
      return row ? toSession(row) : null
    },

    async touchSession(id: string, now: Date): Promise<void> {
      await db.updateTable('admin_sessions').set({ last_seen_at: toDbTime(now) }).where('id', '=', id).where('ended_at', 'is', null).execute()
    },

    async endSession(id: string, now: Date): Promise<void> {
      await db.updateTable('admin_sessions').set({ ended_at: toDbTime(now) }).where('id', '=', id).where('ended_at', 'is', null).execute()
    },

    async setPassword(id: string, passwordHash: string): Promise<void> {
      await db.updateTable('admins').set({ password_hash: passwordHash }).where('id', '=', id).execute()
    },

    async endSessionsOf(adminId: string, now: Date): Promise<void> {
      await db.updateTable('admin_sessions').set({ ended_at: toDbTime(now) }).where('admin_id', '=', adminId).where('ended_at', 'is', null).execute()
    },
  }
}

export type AdminRepository = ReturnType<typeof adminRepository>
