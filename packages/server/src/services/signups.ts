import type { Kysely } from 'kysely'
import type { Db } from '../db/connect.js'
import { accountRepository } from '../db/repositories/accounts.js'
import { invitationRepository } from '../db/repositories/invitations.js'
import { oneTimeTokenRepository } from '../db/repositories/one-time-tokens.js'
import type { Realm } from '../domain/realm.js'
import { userRepository } from '../db/repositories/users.js'
import type { User } from '../domain/user.js'
import type { Database } from '../db/schema.js'
import type { Metrics } from '../metrics/metrics.js'
import { inTransaction } from '../db/transaction.js'
import { accountService, personalAccountName } from './accounts.js'
import { recordWithin, type EventService } from './events.js'
import { invitationService, type AcceptOutcome } from './invitations.js'
import { linkService } from './links.js'
import { EMAIL_TAKEN, type SignupInput, type UserService } from './users.js'
import type { FieldErrors, Outcome } from '../domain/validation.js'

export interface SignedUp {
  user: User
  /** The secret of the email verification link to mail (after the commit), when the realm verifies emails. */
  verificationSecret: string | null
}

export interface SignupOptions {
  /** The client's address, for the events. */
  ip?: string | null | undefined
  /** Multi-user realms: the new account's name ('' for one named after the user). */
  accountName?: string | undefined
  /** Fields the caller checked (the account name). */
  otherErrors?: FieldErrors | undefined
}

/**
 * Signups. Everything a signup writes (the user, their account and membership, the verification link, the
 * invitation used, and the events of all these) commits in one transaction or not at all: a crash or a failed
 * write leaves no user without their account or their `user.created` event. The password is hashed before the
 * transaction opens, so SQLite's one writer is never held for a hash; the session follows the commit (a crash
 * in between leaves a user who can log in), and so does the mail (a user can ask for another link).
 */
export function signupService(db: Db, users: UserService, metrics: Metrics, events: EventService) {
  /** The services a signup uses, over its transaction. */
  function over(trx: Kysely<Database>) {
    const accounts = accountRepository(trx, db.dialect)
    return {
      users: userRepository(trx),
      accounts: accountService(accounts),
      links: linkService(oneTimeTokenRepository(trx)),
      invitations: invitationService(invitationRepository(trx), accounts, events),
    }
  }

  async function commit<T>(realm: Realm, email: string, work: (tx: ReturnType<typeof over>, trx: Kysely<Database>) => Promise<T>): Promise<Outcome<T>> {
    try {
      const value = await inTransaction(db.kysely, (trx) => work(over(trx), trx))
      // After the commit: a signup rolled back never happened.
      metrics.event('user.created', realm.id)
      return { ok: true, value }
    } catch (error) {
      // Two signups with one email at once: the unique index decides, and the loser gets the form error.
      if (await users.byEmail(realm, email)) return { ok: false, errors: { email: EMAIL_TAKEN } }
      throw error
    }
  }

  return {
    /** A signup from the form: the user, in multi-user realms their account, and the verification link. */
    async signup(realm: Realm, input: SignupInput, now: Date, { ip = null, accountName = '', otherErrors = {} }: SignupOptions = {}): Promise<Outcome<SignedUp>> {
      const prepared = await users.prepareSignup(realm, input, otherErrors)
      if (!prepared.ok) return prepared
      return commit(realm, prepared.value.email, async (tx, trx) => {
        const user = await tx.users.insert(prepared.value, now)
        const about = { realmId: realm.id, userId: user.id, ip, data: { email: user.email } }
        await recordWithin(trx, [{ ...about, type: 'user.created' }], now)
        if (realm.settings.org_mode === 'multi_user') await tx.accounts.create(realm, user, accountName || personalAccountName(user), now, { ip })
        let verificationSecret: string | null = null
        if (realm.settings.email_verification !== 'none') {
          verificationSecret = await tx.links.create('email_verification', { realmId: realm.id, userId: user.id, email: user.email }, now)
          await recordWithin(trx, [{ ...about, type: 'user.email.verifying' }], now)
        }
        return { user, verificationSecret }
      })
    },

    /**
     * A signup with an invitation (`secret`, its link's): the user, confirmed (the link reached that inbox), and the
     * invitation accepted. An invitation revoked or closed in the moment since the page checked it leaves the
     * user without it (`accepted` says why), as it would a user who had signed up first.
     */
    async signupInvited(realm: Realm, input: SignupInput, secret: string, invitationId: string, now: Date, ip: string | null): Promise<Outcome<{ user: User; accepted: AcceptOutcome }>> {
      const prepared = await users.prepareSignup(realm, input)
      if (!prepared.ok) return prepared
      return commit(realm, prepared.value.email, async (tx, trx) => {
        const user = await tx.users.insert({ ...prepared.value, emailVerifiedAt: now }, now)
        await recordWithin(trx, [{ type: 'user.created', realmId: realm.id, userId: user.id, ip, data: { email: user.email, invitation_id: invitationId } }], now)
        return { user, accepted: await tx.invitations.accept(realm, secret, user, now, ip) }
      })
    },
  }
}

export type SignupService = ReturnType<typeof signupService>
