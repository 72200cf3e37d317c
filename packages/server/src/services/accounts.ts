import { newId } from '../crypto/ids.js'
import type { AccountRepository } from '../db/repositories/accounts.js'
import type { Membership, MembershipWithOrg, Org } from '../domain/account.js'
import type { User } from '../domain/user.js'
import { recordWithin } from './events.js'
import type { EventInput } from '../domain/event.js'
import type { Realm } from '../domain/realm.js'
import { OWNER, cleanPermissions } from '../domain/permissions.js'
import { textProblem, type Outcome } from '../domain/validation.js'

/** The name of a user's personal account in single-user mode: their name, else their email. */
export function personalAccountName(user: User): string {
  return [user.firstName, user.lastName].filter(Boolean).join(' ') || user.email
}

export function accountNameProblem(name: string, required: boolean): string | null {
  return textProblem(name, 'account name', required)
}

/** The events of a new account and its first member (who made it). */
function accountCreatedEvents(realm: Realm, membership: Membership, org: Org, ip: string | null): EventInput[] {
  const about = { realmId: realm.id, userId: membership.userId, orgId: org.id, ip }
  return [
    { ...about, type: 'org.created', data: { name: org.name } },
    { ...about, type: 'membership.created', data: { membership_id: membership.id, permissions: membership.permissions } },
  ]
}

/** Accounts (orgs) and memberships: creating, choosing, and what the token carries. */
export function accountService(repo: AccountRepository) {
  return {
    /**
     * A new account with the user as its owner, made their current account, in one transaction with its
     * `org.created` and `membership.created` events when `audit` gives the client's address (an account made
     * at a token, for a user who had none, is not in the log).
     */
    async create(realm: Realm, user: User, name: string, now: Date, audit?: { ip: string | null }): Promise<MembershipWithOrg> {
      const org: Org = { id: newId('org'), realmId: realm.id, name, state: 'active', reference: null, custom: {}, createdAt: now }
      const membership: Membership = {
        id: newId('mb'),
        realmId: realm.id,
        orgId: org.id,
        userId: user.id,
        permissions: cleanPermissions([OWNER, ...realm.settings.new_owner_permissions]),
        selected: false,
        createdAt: now,
      }
      await repo.atomically(async (trx) => {
        await repo.insertOrg(org, now, trx)
        await repo.insertMembership(membership, now, trx)
        await repo.select(realm.id, user.id, membership.id, now, trx)
        if (audit) await recordWithin(trx, accountCreatedEvents(realm, membership, org, audit.ip), now)
      })
      return { ...membership, selected: true, org }
    },

    /** Creates an account from a form; the name is checked first. */
    async createNamed(realm: Realm, user: User, name: string, now: Date, ip: string | null): Promise<Outcome<MembershipWithOrg>> {
      const problem = accountNameProblem(name, true)
      if (problem) return { ok: false, errors: { account_name: problem } }
      return { ok: true, value: await this.create(realm, user, name, now, { ip }) }
    },

    list(realm: Realm, user: User): Promise<MembershipWithOrg[]> {
      return repo.membershipsOf(realm.id, user.id)
    },

    /** Makes the user's membership of `orgId` current; null when they have none there. */
    async choose(realm: Realm, user: User, orgId: string, now: Date): Promise<MembershipWithOrg | null> {
      const chosen = (await repo.membershipsOf(realm.id, user.id)).find((m) => m.orgId === orgId)
      if (!chosen) return null
      if (!chosen.selected) await repo.select(realm.id, user.id, chosen.id, now)
      return { ...chosen, selected: true }
    },

    /**
     * The membership a token carries: the selected one; else the first, which becomes selected. With
     * `preferOrgId` (the `account` parameter of /login) that account, when the user is a member. In
     * single-user mode a user always has their personal account: it is made here if missing (a user
     * from before the realm chose the mode, or a signup interrupted between its two writes).
     */
    async forToken(realm: Realm, user: User, now: Date, preferOrgId?: string): Promise<MembershipWithOrg | null> {
      const all = await repo.membershipsOf(realm.id, user.id)
      if (all.length === 0 && realm.settings.org_mode === 'single_user') return this.create(realm, user, personalAccountName(user), now)
      const preferred = preferOrgId ? all.find((m) => m.orgId === preferOrgId) : undefined
      const current = preferred ?? all.find((m) => m.selected) ?? all[0]
      if (!current) return null
      if (!current.selected) await repo.select(realm.id, user.id, current.id, now)
      return { ...current, selected: true }
    },
  }
}

export type AccountService = ReturnType<typeof accountService>
