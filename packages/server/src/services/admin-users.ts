import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { inTransaction } from '../db/transaction.js'
import { attribute, type Actor } from '../domain/actor.js'
import { isOwner } from '../domain/permissions.js'
import type { Realm } from '../domain/realm.js'
import type { SessionRepository } from '../db/repositories/sessions.js'
import type { SessionDetails } from '../domain/session.js'
import { userRepository, type UserRepository } from '../db/repositories/users.js'
import { normalizeEmail, type User, type UserChanges } from '../domain/user.js'
import type { ChangedBy, CredentialService } from './credentials.js'
import { recordWithin, type EventService } from './events.js'
import type { EventInput } from '../domain/event.js'
import { cleanEmail, emailProblem, textProblem, usernameProblem, type FieldErrors, type Outcome } from '../domain/validation.js'

export const USERS_PER_PAGE = 50
/** Searches longer than this are cut (no email, name or id is longer). */
const SEARCH_MAX = 254
/** Pages past this are empty anyway, and keep the offset a small number. */
const PAGE_MAX = 100_000
const LOCALE_MAX = 35

/** The user edit form's fields, as typed (trimmed). */
export interface UserEdit {
  email: string
  first_name: string
  last_name: string
  username: string
  locale: string
}

export const EDIT_FIELDS = ['email', 'first_name', 'last_name', 'username', 'locale'] as const

export interface UserSearch {
  users: User[]
  total: number
  page: number
  perPage: number
}

/** `?page=`: a positive whole number, else the first page. */
export function pageNumber(raw: string | undefined): number {
  const page = /^\d{1,9}$/.test(raw ?? '') ? Number(raw) : 1
  return Math.min(Math.max(page, 1), PAGE_MAX)
}

/** The signup and profile messages speak to the user; here an admin reads them about someone else. */
const aboutTheUser = (message: string) => message.replace(/\byour\b/, 'the').replace(/\bYour\b/, 'The')

/** A BCP 47 language tag in its canonical form (`pt-BR`), or null when it isn't one. */
function canonicalLocale(value: string): string | null {
  if (value.length > LOCALE_MAX || !/^[A-Za-z0-9-]+$/.test(value)) return null
  try {
    return Intl.getCanonicalLocales(value)[0] ?? null
  } catch {
    return null
  }
}

/**
 * What the admin portal does to a realm's users beyond the LoginRocket pages: search, edits with the signup
 * rules, disabling (which ends their sessions), revoking sessions and deleting.
 */
/** The accounts others share of which `userId` is the only owner: those an account-wide change must not orphan. */
function soleOwnerships(userId: string, memberships: { orgId: string; userId: string; permissions: string[] }[]): string[] {
  const owned = memberships.filter((m) => m.userId === userId && isOwner(m)).map((m) => m.orgId)
  return owned.filter((orgId) => {
    const others = memberships.filter((m) => m.orgId === orgId && m.userId !== userId)
    return others.length > 0 && !others.some(isOwner)
  })
}

/** The credential changes' view of an actor: the address, and the admin when one did it. */
const changedBy = (actor: Actor): ChangedBy => ({ ip: 'ip' in actor ? actor.ip : null, adminId: actor.kind === 'admin' ? actor.adminId : undefined })

/**
 * The portal's users: search, edit, disable, sessions, delete. Each change records its events naming the actor,
 * right after the write (a deletion, in its transaction).
 */
export function adminUserService(db: Kysely<Database>, users: UserRepository, sessions: SessionRepository, credentials: CredentialService, events: EventService) {
  const record = async (actor: Actor, realm: Realm, user: User, happened: Pick<EventInput, 'type' | 'sessionId' | 'data'>[], now: Date) => {
    for (const event of happened) await events.record(attribute(actor, { ...event, realmId: realm.id, userId: user.id }), now)
  }
  const sessionsEnded = (ids: string[]) => ids.map((sessionId) => ({ type: 'session.deleted' as const, sessionId, data: { reason: 'admin' } }))

  return {
    async search(realm: Realm, rawQuery: string, page: number): Promise<UserSearch> {
      // Control characters can't be in what we search (and PostgreSQL refuses NUL).
      const query = rawQuery.replace(/\p{Cc}/gu, '').trim().slice(0, SEARCH_MAX)
      const found = await users.search(realm.id, query, USERS_PER_PAGE, (page - 1) * USERS_PER_PAGE)
      return { ...found, page, perPage: USERS_PER_PAGE }
    },

    /** Looks a user up by an id from the URL; null for unknown ids and other realms' users. */
    byId(realm: Realm, id: string): Promise<User | null> {
      return id.length > 100 ? Promise.resolve(null) : users.byId(realm.id, id)
    },

    /**
     * Saves the edit form: the signup rules for each field the realm uses (hidden fields are left as they are),
     * email and username unique in the realm. A new address (not just a change of case) is unconfirmed, and is a
     * change of credentials: the user's links stop working and their sessions end. Returns the changed fields' names.
     */
    async update(realm: Realm, user: User, input: UserEdit, actor: Actor, now: Date): Promise<Outcome<{ user: User; changed: string[] }>> {
      const { name_field: nameField, username_field: usernameField } = realm.settings
      const errors: FieldErrors = {}
      const email = cleanEmail(input.email)
      const emailError = emailProblem(email)
      if (emailError) errors.email = aboutTheUser(emailError)
      else if (await users.emailTaken(realm.id, email, user.id)) errors.email = 'Another user of this realm has this email address.'
      if (nameField !== 'hidden') {
        const first = textProblem(input.first_name, 'first name', nameField === 'required')
        const last = textProblem(input.last_name, 'last name', nameField === 'required')
        if (first) errors.first_name = aboutTheUser(first)
        if (last) errors.last_name = aboutTheUser(last)
      }
      if (usernameField !== 'hidden') {
        const problem = usernameProblem(input.username, usernameField === 'required')
        if (problem) errors.username = problem
        else if (input.username && (await users.usernameTaken(realm.id, input.username, user.id))) errors.username = 'Another user of this realm has this username.'
      }
      const locale = input.locale === '' ? null : canonicalLocale(input.locale)
      if (input.locale !== '' && locale === null) errors.locale = 'Enter a language tag such as en or pt-BR, or leave it empty.'
      if (Object.keys(errors).length > 0) return { ok: false, errors }

      const changes: UserChanges = {}
      const changed: string[] = []
      if (email !== user.email) {
        changes.email = email
        changed.push('email')
      }
      const newAddress = normalizeEmail(email) !== normalizeEmail(user.email)
      if (newAddress) changes.emailVerifiedAt = null
      if (nameField !== 'hidden') {
        const first = input.first_name || null
        const last = input.last_name || null
        if (first !== user.firstName) {
          changes.firstName = first
          changed.push('first_name')
        }
        if (last !== user.lastName) {
          changes.lastName = last
          changed.push('last_name')
        }
      }
      if (usernameField !== 'hidden' && (input.username || null) !== user.username) {
        changes.username = input.username || null
        changed.push('username')
      }
      if (locale !== user.locale) {
        changes.locale = locale
        changed.push('locale')
      }
      if (changed.length === 0) return { ok: true, value: { user, changed } }

      try {
        if (newAddress) await credentials.changeEmail(realm, user, { ...changes, email }, changedBy(actor), now)
        else await users.update(realm.id, user.id, changes, now)
      } catch (error) {
        // Another change took the address or username meanwhile: the unique indexes decide.
        const clash: FieldErrors = {}
        if (changes.email && (await users.emailTaken(realm.id, email, user.id))) clash.email = 'Another user of this realm has this email address.'
        if (changes.username && (await users.usernameTaken(realm.id, changes.username, user.id))) clash.username = 'Another user of this realm has this username.'
        if (Object.keys(clash).length > 0) return { ok: false, errors: clash }
        throw error
      }
      await record(actor, realm, user, [{ type: 'user.updated', data: { changed } }], now)
      return { ok: true, value: { user: { ...user, ...changes, updatedAt: now }, changed } }
    },

    /** Disables or enables a user; disabling ends their live sessions (returned), so their apps log them out at the next renewal. */
    async setState(realm: Realm, user: User, state: User['state'], actor: Actor, now: Date): Promise<string[]> {
      if (state !== user.state) await users.update(realm.id, user.id, { state }, now)
      const ended = state === 'inactive' ? await sessions.endAllForUser(realm.id, user.id, now) : []
      const changed = state === user.state ? [] : [{ type: 'user.updated' as const, data: { changed: ['state'], state } }]
      await record(actor, realm, user, [...changed, ...sessionsEnded(ended)], now)
      return ended
    },

    liveSessions(realm: Realm, user: User, now: Date): Promise<SessionDetails[]> {
      return sessions.liveOfUser(realm.id, user.id, now)
    },

    /** Ends one of the user's live sessions; false when it isn't one (unknown, another user's, already ended). */
    async revokeSession(realm: Realm, user: User, sessionId: string, actor: Actor, now: Date): Promise<boolean> {
      const session = sessionId.length <= 100 ? await sessions.liveById(realm.id, sessionId, now) : null
      if (!session || session.userId !== user.id) return false
      await sessions.end(realm.id, session.id, now)
      await record(actor, realm, user, sessionsEnded([session.id]), now)
      return true
    },

    /** Ends every live session of the user; returns their ids. */
    async revokeAll(realm: Realm, user: User, actor: Actor, now: Date): Promise<string[]> {
      const ended = await sessions.endAllForUser(realm.id, user.id, now)
      await record(actor, realm, user, sessionsEnded(ended), now)
      return ended
    },

    /** True when `typed` is the user's email (as emails compare), the delete form's confirmation. */
    confirms(user: User, typed: string): boolean {
      return typed !== '' && normalizeEmail(typed) === normalizeEmail(user.email)
    },

    /**
     * Deletes the user and what only they hold (see `deleteWithData`), with the `user.deleted` event naming who did
     * it, in one transaction; null when they were gone already. Every account keeps an owner: refused, naming the
     * accounts, while they are the only owner of an account others share.
     */
    remove(realm: Realm, user: User, actor: Actor, now: Date): Promise<{ deletedOrgIds: string[] } | { ownerOfOrgIds: string[] } | null> {
      return inTransaction(db, async (trx) => {
        const ownerOfOrgIds = soleOwnerships(user.id, await userRepository(trx).membershipsSharedWith(realm.id, user.id))
        if (ownerOfOrgIds.length > 0) return { ownerOfOrgIds }
        const removed = await userRepository(trx).deleteWithData(realm.id, user.id)
        if (!removed) return null
        const event = { type: 'user.deleted', realmId: realm.id, userId: user.id, data: { email: user.email, deleted_accounts: removed.deletedOrgIds } } as const
        await recordWithin(trx, [attribute(actor, event)], now)
        return removed
      })
    },
  }
}

export type AdminUserService = ReturnType<typeof adminUserService>
