import { hashSecret, newId, newSecret } from '../crypto/ids.js'
import { attribute, type Actor } from '../domain/actor.js'
import type { EventService } from './events.js'
import type { AccountRepository } from '../db/repositories/accounts.js'
import type { MembershipWithOrg, Org } from '../domain/account.js'
import type { InvitationRepository } from '../db/repositories/invitations.js'
import { invitationState, type Invitation, type InvitationState } from '../domain/invitation.js'
import type { Realm } from '../domain/realm.js'
import { normalizeEmail, type User } from '../domain/user.js'
import { AppError } from '../errors/app-error.js'
import type { AccountAccess } from './account-management.js'
import { checkPermissions, offeredPermissions } from '../domain/permissions.js'
import { recordWithin } from './events.js'
import type { EventInput } from '../domain/event.js'
import { cleanEmail, emailProblem, type FieldErrors, type Outcome } from '../domain/validation.js'

export const INVITATION_DAYS = 30
const LIFETIME_MS = INVITATION_DAYS * 24 * 60 * 60_000

/** An invitation and the secret of its link (only its hash is stored, so this is the one chance to mail it). */
export interface SentInvitation {
  invitation: Invitation
  secret: string
}

/** What a link leads to: the invitation, its account (null once closed), and whether it can still be used. */
export interface FoundInvitation {
  invitation: Invitation
  org: Org | null
  /** `unavailable`: the account was closed, or the realm no longer has shared accounts. */
  state: InvitationState | 'unavailable'
}

export type AcceptOutcome =
  | { ok: true; membership: MembershipWithOrg; alreadyMember: boolean }
  | { ok: false; reason: 'unusable' | 'wrong_email'; found: FoundInvitation | null }

/** Invitations are for accounts people share; single-user realms give everyone their own account only. */
/**
 * Why this user may not send invitations yet, or null. An invitation is a mail from the realm's address to
 * any address, carrying the inviter's name and account name: only someone who has shown they own their
 * address may make the realm send one, or anyone could sign up as anybody and use the realm as a relay.
 * Realms that don't verify emails (`email_verification: none`) are no exception; a completed password reset
 * confirms the address there.
 */
export function inviterProblem(realm: Realm, inviter: User): string | null {
  if (inviter.emailVerifiedAt !== null) return null
  return realm.settings.email_verification === 'none'
    ? 'Confirm your own email address before inviting anyone: reset your password through “Forgot your password?” on the login page; the link we mail you confirms your address.'
    : 'Confirm your own email address before inviting anyone: open the link in the confirmation email we sent you.'
}

export const sharesAccounts = (realm: Realm): boolean => realm.settings.org_mode === 'multi_user'

/**
 * Invitations to join an account: created by its owners and admins, mailed as a single-use link (256 random
 * bits, stored hashed) that works for 30 days; sending again replaces the link, revoking voids it. Accepting
 * adds the membership with the invitation's permissions, with the account locked like every membership change.
 */
export function invitationService(invitations: InvitationRepository, accounts: AccountRepository, events: EventService) {
  async function find(realm: Realm, secret: string | undefined, now: Date): Promise<FoundInvitation | null> {
    if (!secret || secret.length > 100) return null
    const invitation = await invitations.byTokenHash(hashSecret(secret))
    if (!invitation || invitation.realmId !== realm.id) return null
    const org = await accounts.org(realm.id, invitation.orgId)
    const open = org !== null && org.state === 'active' && sharesAccounts(realm)
    const state = invitationState(invitation, now)
    return { invitation, org: org?.state === 'active' ? org : null, state: state === 'pending' && !open ? 'unavailable' : state }
  }

  function requireInviting(realm: Realm, access: AccountAccess): void {
    if (!access.manager) throw new AppError('forbidden', 'Only the account’s owners and admins can do that.')
    if (!sharesAccounts(realm)) throw new AppError('forbidden', 'Accounts here are personal: they can’t have other members.')
  }

  return {
    find,

    /** The account's invitations that were neither accepted nor revoked (expired ones too), newest first. */
    open(realm: Realm, org: Pick<Org, 'id'>): Promise<Invitation[]> {
      return invitations.openOf(realm.id, org.id)
    },

    /** Records `invitation.org.created`, naming `by`. */
    async create(realm: Realm, access: AccountAccess, inviter: User, input: { email: string; permissions: string[] }, by: Actor, now: Date): Promise<Outcome<SentInvitation>> {
      requireInviting(realm, access)
      const unconfirmed = inviterProblem(realm, inviter)
      if (unconfirmed) return { ok: false, errors: { email: unconfirmed } }
      const errors: FieldErrors = {}
      const email = cleanEmail(input.email)
      const problem = emailProblem(email)
      if (problem) errors.email = email === '' ? 'Enter the email address of the person to invite.' : problem
      const permissions = checkPermissions(input.permissions, offeredPermissions(realm, access.owner, realm.settings.new_member_permissions))
      if (!permissions.ok) Object.assign(errors, permissions.errors)
      if (!errors.email) {
        const members = await accounts.members(realm.id, access.org.id)
        if (members.some((m) => normalizeEmail(m.email) === normalizeEmail(email))) errors.email = `${email} is already a member of this account.`
        else if (await invitations.openFor(realm.id, access.org.id, email)) errors.email = 'This address has an invitation already; you can send it again below.'
      }
      if (!permissions.ok || Object.keys(errors).length > 0) return { ok: false, errors }

      const secret = newSecret()
      const invitation: Invitation = {
        id: newId('nvt'),
        realmId: realm.id,
        orgId: access.org.id,
        email,
        permissions: permissions.value,
        inviterUserId: inviter.id,
        createdAt: now,
        expiresAt: new Date(now.getTime() + LIFETIME_MS),
        acceptedAt: null,
        revokedAt: null,
      }
      await invitations.insert(invitation, hashSecret(secret))
      const data = { invitation_id: invitation.id, email: invitation.email, permissions: invitation.permissions }
      await events.record(attribute(by, { type: 'invitation.org.created', realmId: realm.id, userId: inviter.id, orgId: access.org.id, data }), now)
      return { ok: true, value: { invitation, secret } }
    },

    /** A new link (and 30 more days) for an open invitation; the old link stops working. Null when it isn't open. */
    async resend(realm: Realm, access: AccountAccess, inviter: User, id: string, now: Date): Promise<SentInvitation | null> {
      requireInviting(realm, access)
      const unconfirmed = inviterProblem(realm, inviter)
      if (unconfirmed) throw new AppError('forbidden', unconfirmed)
      const secret = newSecret()
      const expiresAt = new Date(now.getTime() + LIFETIME_MS)
      if (id.length > 100 || !(await invitations.renew(realm.id, access.org.id, id, hashSecret(secret), expiresAt))) return null
      const invitation = (await invitations.openOf(realm.id, access.org.id)).find((i) => i.id === id)
      return invitation ? { invitation, secret } : null
    },

    /** Voids an open invitation, for the account's owners and admins; false when it isn't open. */
    async revoke(realm: Realm, access: AccountAccess, id: string, by: Actor, now: Date): Promise<boolean> {
      if (!access.manager) throw new AppError('forbidden', 'Only the account’s owners and admins can do that.')
      return this.revokeIn(realm, access.org, id, by, now)
    },

    /**
     * Voids an open invitation of the account, with no check of who asks (the admin portal's); false when it isn't
     * open. Records `invitation.org.revoked`, naming `by`.
     */
    async revokeIn(realm: Realm, org: Pick<Org, 'id'>, id: string, by: Actor, now: Date): Promise<boolean> {
      if (id.length > 100 || !(await invitations.revoke(realm.id, org.id, id, now))) return false
      await events.record(attribute(by, { type: 'invitation.org.revoked', realmId: realm.id, orgId: org.id, data: { invitation_id: id } }), now)
      return true
    },

    /**
     * Accepts an invitation for `user`, who must have the invited address. Makes the account the user's current
     * one. A user who is a member already keeps their membership as it is (the invitation is used up). The
     * invitation used, the membership, the choice of account and their events are one transaction.
     */
    async accept(realm: Realm, secret: string, user: User, now: Date, ip: string | null): Promise<AcceptOutcome> {
      const found = await find(realm, secret, now)
      if (!found || found.state !== 'pending') return { ok: false, reason: 'unusable', found }
      const { invitation } = found
      if (normalizeEmail(user.email) !== normalizeEmail(invitation.email)) return { ok: false, reason: 'wrong_email', found }

      const joined = await accounts.withLockedOrg(realm.id, invitation.orgId, async (trx, members, org) => {
        if (!org || org.state !== 'active') return null
        // Single use, decided by the database: of two accepts at once, one wins.
        if (!(await invitations.markAccepted(trx, invitation.id, now))) return null
        const about = { realmId: realm.id, userId: user.id, orgId: org.id, ip }
        const events: EventInput[] = [{ ...about, type: 'invitation.org.accepted', data: { invitation_id: invitation.id } }]
        let membership = members.find((m) => m.userId === user.id)
        const alreadyMember = membership !== undefined
        if (!membership) {
          membership = {
            id: newId('mb'),
            realmId: realm.id,
            orgId: org.id,
            userId: user.id,
            permissions: invitation.permissions,
            selected: false,
            createdAt: now,
          }
          await accounts.insertMembership(membership, now, trx)
          events.push({ ...about, type: 'membership.created', data: { membership_id: membership.id, permissions: membership.permissions, invitation_id: invitation.id } })
        }
        await accounts.select(realm.id, user.id, membership.id, now, trx)
        await recordWithin(trx, events, now)
        return { membership, org, alreadyMember }
      })
      if (!joined) return { ok: false, reason: 'unusable', found: await find(realm, secret, now) }
      return { ok: true, membership: { ...joined.membership, selected: true, org: joined.org }, alreadyMember: joined.alreadyMember }
    },
  }
}

export type InvitationService = ReturnType<typeof invitationService>
