import type { AccountRepository } from '../db/repositories/accounts.js'
import type { Member, Membership, Org, OrgSummary } from '../domain/account.js'
import type { User } from '../domain/user.js'
import { AppError } from '../errors/app-error.js'
import { accountNameProblem } from './accounts.js'
import { recordWithin, type EventService } from './events.js'
import { attribute, type Actor, type UnattributedEvent } from '../domain/actor.js'
import type { Realm } from '../domain/realm.js'
import { OWNER, canManage, checkPermissions, isOwner, offeredPermissions } from '../domain/permissions.js'
import { textProblem, type FieldErrors, type Outcome } from '../domain/validation.js'

/** What the browser's user may do with one account: every member sees it; owners and admins manage it. */
export interface AccountAccess {
  org: Org
  membership: Membership
  manager: boolean
  owner: boolean
}

const NO_ACCOUNT = 'There is no account at this address.'
const ONLY_MANAGERS = 'Only the account’s owners and admins can do that.'


const fail = <T>(errors: FieldErrors): Outcome<T> => ({ ok: false, errors })
const done: Outcome<null> = { ok: true, value: null }

/**
 * The acting user's membership, read inside the account's lock: the account must still be open and the
 * user still a member with the role the change needs (a concurrent edit may have taken it away).
 */
function lockedActor(members: Membership[], org: Org | null, userId: string, role: 'member' | 'manager' | 'owner'): Membership {
  if (!org || org.state !== 'active') throw new AppError('not_found', NO_ACCOUNT)
  const actor = members.find((m) => m.userId === userId)
  if (!actor) throw new AppError('forbidden', 'You are not a member of this account.')
  if (role === 'manager' && !canManage(actor)) throw new AppError('forbidden', ONLY_MANAGERS)
  if (role === 'owner' && !isOwner(actor)) throw new AppError('forbidden', 'Only the account’s owners can do that.')
  return actor
}

function lockedTarget(members: Membership[], membershipId: string): Membership {
  const target = members.find((m) => m.id === membershipId)
  if (!target) throw new AppError('not_found', 'That person is not a member of this account (any more).')
  return target
}

const ownerCount = (members: Membership[]) => members.filter(isOwner).length

/** The portal's account list shows every account, or the open or the closed ones. */
export const ACCOUNT_STATES = ['all', 'active', 'closed'] as const
export type AccountStateFilter = (typeof ACCOUNT_STATES)[number]
export const ADMIN_PAGE_SIZE = 50
const MAX_PAGE = 100_000

export interface AccountQuery {
  q: string
  state: AccountStateFilter
  page: number
}

export interface AccountListPage extends AccountQuery {
  orgs: OrgSummary[]
  total: number
  pages: number
}

/** The list's query string, checked; the errors are for the search form's fields. */
export function checkAccountQuery(raw: { q: string; state: string; page: string }): Outcome<AccountQuery> {
  const errors: FieldErrors = {}
  const qProblem = textProblem(raw.q, 'search', false)
  if (qProblem) errors.q = qProblem
  const state = raw.state === '' ? 'all' : raw.state
  if (!(ACCOUNT_STATES as readonly string[]).includes(state)) errors.state = 'Choose all, active or closed.'
  const page = raw.page === '' ? 1 : /^[0-9]{1,6}$/.test(raw.page) ? Number(raw.page) : 0
  if (page < 1 || page > MAX_PAGE) errors.page = `Pages are numbered from 1 to ${MAX_PAGE}.`
  if (Object.keys(errors).length > 0) return fail(errors)
  return { ok: true, value: { q: raw.q, state: state as AccountStateFilter, page } }
}

const NO_ACCOUNT_HERE = 'There is no account with this ID in this realm.'
const ONLY_OWNER = 'This is the account’s only owner, and every account needs one. Make another member an owner first'

/**
 * Managing one account: its name, its members' permissions, removing and leaving, closing. Every change of
 * permissions or membership runs with the account locked and checks, inside the lock, both who may make it
 * and that the account keeps at least one owner; so two owners demoting each other at once can't both win.
 * Each change records its event, naming the actor: in the lock's transaction for a closing, right after the
 * commit for the others (a lost event is logged, the change stands).
 */
export function accountManagement(repo: AccountRepository, events: EventService) {
  const recorded = async <T>(outcome: Outcome<T>, actor: Actor, event: (value: T) => UnattributedEvent | null, now: Date): Promise<Outcome<T>> => {
    const happened = outcome.ok ? event(outcome.value) : null
    if (happened) await events.record(attribute(actor, happened), now)
    return outcome
  }

  return {
    /** The user's access to an account of this realm; unknown and closed accounts don't exist (404), others' are 403. */
    async access(realm: Realm, user: User, orgId: string): Promise<AccountAccess> {
      const org = orgId.length <= 100 ? await repo.org(realm.id, orgId) : null
      if (!org || org.state !== 'active') throw new AppError('not_found', NO_ACCOUNT)
      const membership = await repo.membership(realm.id, org.id, user.id)
      if (!membership) throw new AppError('forbidden', 'You are not a member of this account.')
      return { org, membership, manager: canManage(membership), owner: isOwner(membership) }
    },

    requireManager(access: AccountAccess): void {
      if (!access.manager) throw new AppError('forbidden', ONLY_MANAGERS)
    },

    members(realm: Realm, org: Pick<Org, 'id'>): Promise<Member[]> {
      return repo.members(realm.id, org.id)
    },

    async rename(realm: Realm, access: AccountAccess, name: string, by: Actor, now: Date): Promise<Outcome<null>> {
      this.requireManager(access)
      const problem = accountNameProblem(name, true)
      if (problem) return fail({ account_name: problem })
      await repo.renameOrg(realm.id, access.org.id, name, now)
      await events.record(attribute(by, { type: 'org.updated', realmId: realm.id, orgId: access.org.id, data: { changed: ['name'], name } }), now)
      return done
    },

    /** Returns the membership as it was. */
    async setPermissions(realm: Realm, user: User, orgId: string, membershipId: string, chosen: string[], by: Actor, now: Date): Promise<Outcome<Membership>> {
      const outcome = await repo.withLockedOrg(realm.id, orgId, async (trx, members, org): Promise<Outcome<Membership>> => {
        const actor = lockedActor(members, org, user.id, 'manager')
        const target = lockedTarget(members, membershipId)
        if (isOwner(target) && !isOwner(actor)) throw new AppError('forbidden', 'Only owners can change an owner’s permissions.')
        const checked = checkPermissions(chosen, offeredPermissions(realm, isOwner(actor), target.permissions))
        if (!checked.ok) return checked
        if (isOwner(target) && !checked.value.includes(OWNER) && ownerCount(members) === 1) {
          return fail({ permissions: 'Every account needs an owner, and this is its only one. Make another member an owner first.' })
        }
        await repo.setPermissions(trx, target.id, checked.value, now)
        return { ok: true, value: target }
      })
      const data = (before: Membership) => ({ membership_id: membershipId, permissions_before: before.permissions, permissions: chosen, by_user_id: user.id })
      return recorded(outcome, by, (before) => ({ type: 'membership.updated', realmId: realm.id, userId: before.userId, orgId: before.orgId, data: data(before) }), now)
    },

    /** Returns the removed membership. */
    async remove(realm: Realm, user: User, orgId: string, membershipId: string, by: Actor, now: Date): Promise<Outcome<Membership>> {
      const outcome = await repo.withLockedOrg(realm.id, orgId, async (trx, members, org): Promise<Outcome<Membership>> => {
        const actor = lockedActor(members, org, user.id, 'manager')
        const target = lockedTarget(members, membershipId)
        if (isOwner(target) && !isOwner(actor)) throw new AppError('forbidden', 'Only owners can remove an owner.')
        if (isOwner(target) && ownerCount(members) === 1) {
          return fail({ remove: 'This is the account’s only owner. Make another member an owner first.' })
        }
        await repo.deleteMembership(trx, target.id)
        return { ok: true, value: target }
      })
      const data = { membership_id: membershipId, reason: 'removed', by_user_id: user.id }
      return recorded(outcome, by, (removed) => ({ type: 'membership.deleted', realmId: realm.id, userId: removed.userId, orgId: removed.orgId, data }), now)
    },

    /** Returns the membership left. */
    async leave(realm: Realm, user: User, orgId: string, by: Actor, now: Date): Promise<Outcome<Membership>> {
      const outcome = await repo.withLockedOrg(realm.id, orgId, async (trx, members, org): Promise<Outcome<Membership>> => {
        const actor = lockedActor(members, org, user.id, 'member')
        if (isOwner(actor) && ownerCount(members) === 1) {
          const advice =
            realm.settings.org_mode !== 'multi_user'
              ? ''
              : members.length === 1
                ? ' Close the account instead.'
                : ' Make another member an owner first, or close the account.'
          return fail({ leave: `You are this account’s only owner, so you can’t leave it.${advice}` })
        }
        await repo.deleteMembership(trx, actor.id)
        return { ok: true, value: actor }
      })
      const data = (left: Membership) => ({ membership_id: left.id, reason: 'left' })
      return recorded(outcome, by, (left) => ({ type: 'membership.deleted', realmId: realm.id, userId: user.id, orgId: left.orgId, data: data(left) }), now)
    },

    /** Closes the account (owners, multi-user realms): it leaves every member's list and token. Its `org.closed` event is in the same transaction. */
    async close(realm: Realm, user: User, orgId: string, confirmed: boolean, by: Actor, now: Date): Promise<Outcome<null>> {
      if (realm.settings.org_mode !== 'multi_user') throw new AppError('forbidden', 'Personal accounts can’t be closed.')
      if (!confirmed) return fail({ confirm: 'Tick the box to confirm that this account should be closed.' })
      return repo.withLockedOrg(realm.id, orgId, async (trx, members, org) => {
        lockedActor(members, org, user.id, 'owner')
        await repo.setOrgState(realm.id, orgId, 'closed', now, trx)
        await recordWithin(trx, [attribute(by, { type: 'org.closed', realmId: realm.id, userId: user.id, orgId })], now)
        return done
      })
    },

    // The admin portal: an admin acts on any account of the realm, open or closed, as its owners could; the
    // account still keeps at least one owner, checked inside the lock like the members' own changes.

    async listForAdmin(realm: Realm, query: AccountQuery): Promise<AccountListPage> {
      const offset = (query.page - 1) * ADMIN_PAGE_SIZE
      const { orgs, total } = await repo.searchOrgs(realm.id, { name: query.q, state: query.state, limit: ADMIN_PAGE_SIZE, offset })
      return { ...query, orgs, total, pages: Math.max(1, Math.ceil(total / ADMIN_PAGE_SIZE)) }
    },

    /** Any account of the realm, open or closed; unknown ones and other realms' are a 404. */
    async orgForAdmin(realm: Realm, orgId: string): Promise<Org> {
      const org = orgId.length <= 100 ? await repo.org(realm.id, orgId) : null
      if (!org) throw new AppError('not_found', NO_ACCOUNT_HERE)
      return org
    },

    async renameAsAdmin(realm: Realm, orgId: string, name: string, by: Actor, now: Date): Promise<Outcome<{ before: string; after: string }>> {
      const problem = accountNameProblem(name, true)
      if (problem) return fail({ account_name: problem })
      const outcome = await repo.withLockedOrg(realm.id, orgId, async (trx, _members, org): Promise<Outcome<{ before: string; after: string }>> => {
        if (!org) throw new AppError('not_found', NO_ACCOUNT_HERE)
        if (org.name !== name) await repo.renameOrg(realm.id, org.id, name, now, trx)
        return { ok: true, value: { before: org.name, after: name } }
      })
      return recorded(outcome, by, ({ before, after }) =>
        before === after ? null : { type: 'org.updated', realmId: realm.id, orgId, data: { changed: ['name'], name: after, name_before: before } }, now)
    },

    /** Offers what an owner's form offers (ar:owner, ar:admin, the realm's permissions, the member's own). */
    async setPermissionsAsAdmin(realm: Realm, orgId: string, membershipId: string, chosen: string[], by: Actor, now: Date): Promise<Outcome<{ membership: Membership; after: string[] }>> {
      const outcome = await repo.withLockedOrg(realm.id, orgId, async (trx, members, org): Promise<Outcome<{ membership: Membership; after: string[] }>> => {
        if (!org) throw new AppError('not_found', NO_ACCOUNT_HERE)
        const target = lockedTarget(members, membershipId)
        const checked = checkPermissions(chosen, offeredPermissions(realm, true, target.permissions))
        if (!checked.ok) return checked
        if (isOwner(target) && !checked.value.includes(OWNER) && ownerCount(members) === 1) return fail({ permissions: `${ONLY_OWNER}.` })
        await repo.setPermissions(trx, target.id, checked.value, now)
        return { ok: true, value: { membership: target, after: checked.value } }
      })
      return recorded(outcome, by, ({ membership, after }) =>
        JSON.stringify(membership.permissions) === JSON.stringify(after)
          ? null
          : { type: 'membership.updated', realmId: realm.id, userId: membership.userId, orgId, data: { membership_id: membership.id, permissions_before: membership.permissions, permissions: after } }, now)
    },

    async removeAsAdmin(realm: Realm, orgId: string, membershipId: string, confirmed: boolean, by: Actor, now: Date): Promise<Outcome<Membership>> {
      const outcome = await repo.withLockedOrg(realm.id, orgId, async (trx, members, org): Promise<Outcome<Membership>> => {
        if (!org) throw new AppError('not_found', NO_ACCOUNT_HERE)
        const target = lockedTarget(members, membershipId)
        if (!confirmed) return fail({ confirm: 'Tick the box to confirm that this member should be removed.' })
        if (isOwner(target) && ownerCount(members) === 1) return fail({ confirm: `${ONLY_OWNER}, or close the account.` })
        await repo.deleteMembership(trx, target.id)
        return { ok: true, value: target }
      })
      return recorded(outcome, by, (removed) =>
        ({ type: 'membership.deleted', realmId: realm.id, userId: removed.userId, orgId, data: { membership_id: removed.id, reason: 'removed', permissions: removed.permissions } }), now)
    },

    /**
     * Closes an account as its owners can (multi-user realms): it leaves its members' lists and their tokens at
     * the next renewal. `changed` is false when it was closed already. Its `org.closed` event, naming `by`, is in the
     * same transaction.
     */
    async closeAsAdmin(realm: Realm, orgId: string, confirmed: boolean, by: Actor, now: Date): Promise<Outcome<{ changed: boolean }>> {
      if (realm.settings.org_mode !== 'multi_user') {
        throw new AppError('forbidden', 'Accounts in this realm are personal: a user without one gets a new one at their next login.')
      }
      if (!confirmed) return fail({ confirm: 'Tick the box to confirm that this account should be closed.' })
      return repo.withLockedOrg(realm.id, orgId, async (trx, _members, org) => {
        if (!org) throw new AppError('not_found', NO_ACCOUNT_HERE)
        if (org.state === 'active') {
          await repo.setOrgState(realm.id, org.id, 'closed', now, trx)
          await recordWithin(trx, [attribute(by, { type: 'org.closed', realmId: realm.id, orgId: org.id })], now)
        }
        return { ok: true, value: { changed: org.state === 'active' } }
      })
    },

    /** Opens a closed account again, with its members as they were; false when it was open already. */
    async reopenAsAdmin(realm: Realm, orgId: string, by: Actor, now: Date): Promise<boolean> {
      const reopened = await repo.withLockedOrg(realm.id, orgId, async (trx, _members, org) => {
        if (!org) throw new AppError('not_found', NO_ACCOUNT_HERE)
        if (org.state === 'closed') await repo.setOrgState(realm.id, org.id, 'active', now, trx)
        return org.state === 'closed'
      })
      if (reopened) await events.record(attribute(by, { type: 'org.reopened', realmId: realm.id, orgId }), now)
      return reopened
    },
  }
}

export type AccountManagement = ReturnType<typeof accountManagement>
