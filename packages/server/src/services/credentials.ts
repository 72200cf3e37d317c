import type { Logger } from 'pino'
import type { Kysely } from 'kysely'
import { oneTimeTokenRepository } from '../db/repositories/one-time-tokens.js'
import type { Realm } from '../domain/realm.js'
import { sessionRepository } from '../db/repositories/sessions.js'
import type { LoginSession } from '../domain/session.js'
import { userRepository, type UserRepository } from '../db/repositories/users.js'
import type { User, UserChanges } from '../domain/user.js'
import type { Database } from '../db/schema.js'
import { inTransaction } from '../db/transaction.js'
import { secretLink, sendInBackground } from './account-mail.js'
import { recordWithin, type EventService } from './events.js'
import { LIFETIME_MS, linkService, type LinkService } from './links.js'
import type { Mailer } from './mailer.js'
import { emailChangedMail, passwordChangedMail } from './security-mail.js'

export interface CredentialDeps {
  /** The database, for changes that are one transaction with their consequences. */
  db: Kysely<Database>
  users: UserRepository
  links: LinkService
  events: EventService
  mailer: Mailer
  logger: Logger
  loginrocketUrlOf: (realm: Realm) => string
}

/** Who made a change: the client's address, the browser session that did it (kept alive), or the admin. */
export interface ChangedBy {
  ip: string | null
  keep?: LoginSession | undefined
  adminId?: string | undefined
}

export type UndoOutcome =
  | { ok: true; user: User; email: string; resetSecret: string }
  | { ok: false; reason: 'unusable' }
  | { ok: false; reason: 'taken'; user: User; email: string }

/**
 * What follows a change of credentials. A new password or a new address shuts out whoever held the old one:
 * every one-time link the user has (reset, verification, a pending email change) stops working and every
 * other session ends. Every path that changes a password or completes an email change goes through here.
 */
export function credentialService(deps: CredentialDeps) {
  const mail = { mailer: deps.mailer, logger: deps.logger }

  /**
   * Voids the user's links and ends their sessions but `by.keep`. Undo links survive (those made before
   * `undoLinksBefore`, when given): they are former owners' way back, and whoever took the account must not be
   * able to void them, not even with an undo link of their own, which is always newer than the owner's.
   */
  async function changed(realm: Realm, userId: string, reason: string, by: ChangedBy, now: Date, undoLinksBefore?: Date, db: Kysely<Database> = deps.db): Promise<void> {
    await inTransaction(db, async (trx) => {
      await oneTimeTokenRepository(trx).voidAllForUser(userId, now, { purpose: 'email_change_undo', createdBefore: undoLinksBefore })
      const ended = await sessionRepository(trx).endAllForUser(realm.id, userId, now, by.keep?.id)
      await recordWithin(
        trx,
        ended.map((sessionId) => ({ type: 'session.deleted', realmId: realm.id, userId, sessionId, ip: by.ip, adminId: by.adminId, data: { reason } })),
        now,
      )
    })
  }

  return {
    /**
     * Stores `user`'s new password hash (users.checkPasswordChange) and, in the same transaction, voids their links
     * and ends their other sessions: a crash can't leave a new password with the old one's sessions alive. Mails
     * the user that it changed.
     */
    async changePassword(realm: Realm, user: User, by: ChangedBy, now: Date): Promise<void> {
      await inTransaction(deps.db, async (trx) => {
        await userRepository(trx).update(realm.id, user.id, { passwordHash: user.passwordHash }, now)
        await changed(realm, user.id, 'password_changed', by, now, undefined, trx)
      })
      sendInBackground(mail, passwordChangedMail(realm, user.email, new URL('/forgot', deps.loginrocketUrlOf(realm)).href))
    },

    /**
     * Stores `changes` (a new address among them) and, in the same transaction, voids `before`'s links and ends
     * their other sessions, then makes a link that undoes the change (after the voiding, so that it survives it)
     * unless an admin made it; mails the former address. A clash on the address's unique index throws, with
     * nothing changed.
     */
    async changeEmail(realm: Realm, before: User, changes: UserChanges & { email: string }, by: ChangedBy, now: Date): Promise<void> {
      const secret = await inTransaction(deps.db, async (trx) => {
        await userRepository(trx).update(realm.id, before.id, changes, now)
        await changed(realm, before.id, 'email_changed', by, now, undefined, trx)
        if (by.adminId) return null
        return linkService(oneTimeTokenRepository(trx)).create('email_change_undo', { realmId: realm.id, userId: before.id, email: before.email }, now)
      })
      const undo = secret === null ? null : { url: secretLink(deps.loginrocketUrlOf(realm), '/email/undo', secret), days: LIFETIME_MS.email_change_undo / 86_400_000 }
      sendInBackground(mail, emailChangedMail(realm, before.email, changes.email, undo))
    },

    /** The undo link's user and the address it restores, while the link is usable in this realm; looking does not use it up. */
    async peekUndo(realm: Realm, secret: string | undefined, now: Date): Promise<{ user: User; email: string; createdAt: Date } | null> {
      const link = await deps.links.peek('email_change_undo', secret, now)
      if (!link || link.realmId !== realm.id || !link.userId || !link.email) return null
      const user = await deps.users.byId(realm.id, link.userId)
      return user ? { user, email: link.email, createdAt: link.createdAt } : null
    },

    /**
     * Uses an undo link: the former address comes back (confirmed: its owner opened the link), unless another
     * account took it meanwhile; either way every session ends and every link dies but older undo links (after
     * two changes, the first address has the better claim). When the address came back, a fresh reset link lets
     * its owner choose a new password at once. The address put back is recorded (`user.updated`, `via: 'undo'`).
     */
    async undoEmailChange(realm: Realm, secret: string, by: ChangedBy, now: Date): Promise<UndoOutcome> {
      const found = await this.peekUndo(realm, secret, now)
      if (!found || !(await deps.links.consume('email_change_undo', secret, now))) return { ok: false, reason: 'unusable' }
      const { user, email, createdAt } = found
      let restored = false
      if (!(await deps.users.emailTaken(realm.id, email, user.id))) {
        // The unique index decides a race for the address; the loser is told it was taken.
        restored = await deps.users.update(realm.id, user.id, { email, emailVerifiedAt: now }, now).then(
          () => true,
          async (error: unknown) => {
            if (await deps.users.emailTaken(realm.id, email, user.id)) return false
            throw error
          },
        )
      }
      await changed(realm, user.id, 'email_change_undone', by, now, createdAt)
      if (!restored) return { ok: false, reason: 'taken', user, email }
      const resetSecret = await deps.links.create('password_reset', { realmId: realm.id, userId: user.id, email }, now)
      const data = { changed: ['email'], email, via: 'undo', other_sessions: 'ended', links: 'voided' }
      await deps.events.record({ type: 'user.updated', realmId: realm.id, userId: user.id, ip: by.ip, adminId: by.adminId, data }, now)
      return { ok: true, user: { ...user, email, emailVerifiedAt: now, updatedAt: now }, email, resetSecret }
    },
  }
}

export type CredentialService = ReturnType<typeof credentialService>
