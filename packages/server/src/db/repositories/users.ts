import type { Kysely } from 'kysely'
import { fromDbTime, toDbTime } from '../convert.js'
import type { Database, UserTable } from '../schema.js'

export interface User {
  id: string
  realmId: string
  email: string
  emailVerifiedAt: Date | null
  passwordHash: string | null
  firstName: string | null
  lastName: string | null
  username: string | null
  locale: string | null
  reference: string | null
  custom: Record<string, unknown>
  state: 'active' | 'inactive'
  createdAt: Date
  updatedAt: Date
  lastLoginAt: Date | null
}

export type NewUser = Omit<User, 'createdAt' | 'updatedAt' | 'lastLoginAt'>

/** Emails compare case-insensitively and after Unicode normalisation (NFKC), so look-alike forms collide. */
export const normalizeEmail = (email: string): string => email.normalize('NFKC').trim().toLowerCase()
export const normalizeUsername = (username: string): string => username.normalize('NFKC').trim().toLowerCase()

function toUser(row: UserTable): User {
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
    custom: JSON.parse(row.custom) as Record<string, unknown>,
    state: row.state,
    createdAt: fromDbTime(row.created_at),
    updatedAt: fromDbTime(row.updated_at),
    lastLoginAt: fromDbTime(row.last_login_at),
  }
}

export type UserChanges = Partial<Pick<User, 'email' | 'emailVerifiedAt' | 'passwordHash' | 'firstName' | 'lastName' | 'username' | 'locale' | 'state' | 'lastLoginAt'>>

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
          custom: JSON.stringify(user.custom),
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

    async usernameTaken(realmId: string, username: string): Promise<boolean> {
      const row = await db
        .selectFrom('users')
        .select('id')
        .where('realm_id', '=', realmId)
        .where('username_normalized', '=', normalizeUsername(username))
        .executeTakeFirst()
      return row !== undefined
    },

    async update(realmId: string, id: string, changes: UserChanges, now: Date): Promise<void> {
      const set: Record<string, unknown> = { updated_at: toDbTime(now) }
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
      await db.updateTable('users').set(set).where('realm_id', '=', realmId).where('id', '=', id).execute()
    },
  }
}

export type UserRepository = ReturnType<typeof userRepository>
