import { sql, type Kysely, type Selectable, type SqlBool, type Updateable } from 'kysely'
import { fromDbTime, toDbTime } from '../convert.js'
import { membershipPermissions, userCustom } from '../json-column.js'
import type { Database, UserTable } from '../schema.js'
import { inTransaction } from '../transaction.js'
import { normalizeEmail, normalizeUsername, type NewUser, type User, type UserChanges } from '../../domain/user.js'

function toUser(row: Selectable<UserTable>): User {
  return {
    id: row.id,
    realmId: row.realm_id,
    email: row.email,
    emailVerifiedAt: fromDbTime(row.email_verified_at),
    passwordHash: row.password_hash,
    firstName: row.first_name,
    lastName: row.last_name,
    username: row.username,
    locale: row.locale,
    reference: row.reference,
    custom: userCustom.read(row.custom, row.id),
    state: row.state,
    createdAt: fromDbTime(row.created_at),
    updatedAt: fromDbTime(row.updated_at),
    lastLoginAt: fromDbTime(row.last_login_at),
  }
}

/** The columns a change sets (normalised forms along with email and username). */
function changeSet(changes: UserChanges, now: Date): Updateable<UserTable> {
  const set: Updateable<UserTable> = { updated_at: toDbTime(now) }
  if (changes.email !== undefined) {
    set.email = changes.email
    set.email_normalized = normalizeEmail(changes.email)
  }
  if (changes.emailVerifiedAt !== undefined) set.email_verified_at = changes.emailVerifiedAt ? toDbTime(changes.emailVerifiedAt) : null
  if (changes.passwordHash !== undefined) set.password_hash = changes.passwordHash
  if (changes.firstName !== undefined) set.first_name = changes.firstName
  if (changes.lastName !== undefined) set.last_name = changes.lastName
  if (changes.username !== undefined) {
    set.username = changes.username
    set.username_normalized = changes.username ? normalizeUsername(changes.username) : null
  }
  if (changes.locale !== undefined) set.locale = changes.locale
  if (changes.state !== undefined) set.state = changes.state
  if (changes.lastLoginAt !== undefined) set.last_login_at = changes.lastLoginAt ? toDbTime(changes.lastLoginAt) : null
  return set
}

export function userRepository(db: Kysely<Database>) {
  return {
    async insert(user: NewUser, now: Date): Promise<User> {
      await db
        .insertInto('users')
        .values({
          id: user.id,
          realm_id: user.realmId,
          email: user.email,
          email_normalized: normalizeEmail(user.email),
          email_verified_at: user.emailVerifiedAt ? toDbTime(user.emailVerifiedAt) : null,
          password_hash: user.passwordHash,
          first_name: user.firstName,
          last_name: user.lastName,
          username: user.username,
          username_normalized: user.username ? normalizeUsername(user.username) : null,
          locale: user.locale,
          reference: user.reference,
          custom: userCustom.write(user.custom),
          state: user.state,
          created_at: toDbTime(now),
          updated_at: toDbTime(now),
          last_login_at: null,
        })
        .execute()
      return { ...user, createdAt: now, updatedAt: now, lastLoginAt: null }
    },

    async byId(realmId: string, id: string): Promise<User | null> {
      const row = await db.selectFrom('users').selectAll().where('realm_id', '=', realmId).where('id', '=', id).executeTakeFirst()
      return row ? toUser(row) : null
    },

    async byEmail(realmId: string, email: string): Promise<User | null> {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('realm_id', '=', realmId)
        .where('email_normalized', '=', normalizeEmail(email))
        .executeTakeFirst()
      return row ? toUser(row) : null
    },

    async emailTaken(realmId: string, email: string, exceptUserId?: string): Promise<boolean> {
      let query = db.selectFrom('users').select('id').where('realm_id', '=', realmId).where('email_normalized', '=', normalizeEmail(email))
      if (exceptUserId) query = query.where('id', '!=', exceptUserId)
      return (await query.executeTakeFirst()) !== undefined
    },

    async usernameTaken(realmId: string, username: string, exceptUserId?: string): Promise<boolean> {
      let query = db.selectFrom('users').select('id').where('realm_id', '=', realmId).where('username_normalized', '=', normalizeUsername(username))
      if (exceptUserId) query = query.where('id', '!=', exceptUserId)
      return (await query.executeTakeFirst()) !== undefined
    },

    async update(realmId: string, id: string, changes: UserChanges, now: Date): Promise<void> {
      await db.updateTable('users').set(changeSet(changes, now)).where('realm_id', '=', realmId).where('id', '=', id).execute()
    },

    /**
     * Users of a realm whose email, name (first, last or both), username or id contains `text`, case-insensitively
     * (PostgreSQL folds any letter, SQLite only ASCII ones), newest first; `%` and `_` are literal.
     */
    async search(realmId: string, text: string, limit: number, offset: number): Promise<{ users: User[]; total: number }> {
      const folded = text.normalize('NFKC').toLowerCase()
      const pattern = `%${folded.replace(/[\\%_]/g, '\\$&')}%`
      const like = (column: ReturnType<typeof sql>) => sql<SqlBool>`${column} like ${pattern} escape '\\'`
      let matching = db.selectFrom('users').where('realm_id', '=', realmId)
      if (folded !== '') {
        matching = matching.where((eb) =>
          eb.or([
            like(sql`email_normalized`),
            like(sql`username_normalized`),
            like(sql`lower(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))`),
            eb('id', '=', text),
          ]),
        )
      }
      const [rows, count] = await Promise.all([
        matching.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute(),
        matching.select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).executeTakeFirstOrThrow(),
      ])
      return { users: rows.map(toUser), total: Number(count.n) }
    },

    /** Every membership of the accounts the user belongs to, theirs included: who else holds each account, and how. */
    async membershipsSharedWith(realmId: string, id: string): Promise<{ orgId: string; userId: string; permissions: string[] }[]> {
      const held = db.selectFrom('memberships').select('org_id').where('realm_id', '=', realmId).where('user_id', '=', id)
      const rows = await db.selectFrom('memberships').select(['id', 'org_id', 'user_id', 'permissions']).where('org_id', 'in', held).execute()
      return rows.map((row) => ({ orgId: row.org_id, userId: row.user_id, permissions: membershipPermissions.read(row.permissions, row.id) }))
    },

    /**
     * Deletes a user with everything that is only theirs: sessions, one-time links, memberships, and the accounts
     * that this leaves without members (with those accounts' invitations). Invitations they sent stay valid,
     * without an inviter. Events stay (they are the log). Returns the deleted accounts' ids, or null when there
     * was no such user. Joins the transaction `db` is in, if any.
     */
    async deleteWithData(realmId: string, id: string): Promise<{ deletedOrgIds: string[] } | null> {
      return inTransaction(db, async (trx) => {
        const user = await trx.selectFrom('users').select('id').where('realm_id', '=', realmId).where('id', '=', id).executeTakeFirst()
        if (!user) return null
        const held = await trx.selectFrom('memberships').select('org_id').where('realm_id', '=', realmId).where('user_id', '=', id).execute()
        const orgIds = held.map((row) => row.org_id)
        await trx.deleteFrom('sessions').where('realm_id', '=', realmId).where('user_id', '=', id).execute()
        await trx.deleteFrom('one_time_tokens').where('user_id', '=', id).execute()
        await trx.deleteFrom('memberships').where('realm_id', '=', realmId).where('user_id', '=', id).execute()
        await trx.updateTable('invitations').set({ inviter_user_id: null }).where('realm_id', '=', realmId).where('inviter_user_id', '=', id).execute()
        let deletedOrgIds: string[] = []
        if (orgIds.length > 0) {
          const stillHeld = new Set(
            (await trx.selectFrom('memberships').select('org_id').distinct().where('org_id', 'in', orgIds).execute()).map((row) => row.org_id),
          )
          deletedOrgIds = orgIds.filter((orgId) => !stillHeld.has(orgId))
        }
        if (deletedOrgIds.length > 0) {
          await trx.deleteFrom('invitations').where('realm_id', '=', realmId).where('org_id', 'in', deletedOrgIds).execute()
          await trx.deleteFrom('orgs').where('realm_id', '=', realmId).where('id', 'in', deletedOrgIds).execute()
        }
        await trx.deleteFrom('users').where('realm_id', '=', realmId).where('id', '=', id).execute()
        return { deletedOrgIds }
      })
    },
  }
}

export type UserRepository = ReturnType<typeof userRepository>
