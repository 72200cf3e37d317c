import type { Context } from 'hono'
import type { Membership, MembershipWithOrg } from '../db/repositories/accounts.js'
import type { EventInput } from '../services/events.js'
import type { Services } from '../services/index.js'
import type { AppEnv } from './env.js'

/** Records something that happened in the request's realm, with the client's address. */
export function recordEvent(c: Context<AppEnv>, services: Services, event: Omit<EventInput, 'realmId' | 'ip'>): Promise<void> {
  return services.events.record({ ...event, realmId: c.get('realm').id, ip: c.get('clientIp') }, services.clock())
}

/** Records an admin's action in the portal; `realmId` is the realm it changed, or null for the server's own. */
export function recordAdminEvent(c: Context<AppEnv>, services: Services, event: Omit<EventInput, 'adminId' | 'ip'>): Promise<void> {
  return services.events.record({ ...event, adminId: c.get('admin').admin.id, ip: c.get('clientIp') }, services.clock())
}

/** An invitation used: the account gained a member (unless the user was one already). */
export async function recordInvitationAccepted(c: Context<AppEnv>, services: Services, invitationId: string, joined: { membership: MembershipWithOrg; alreadyMember: boolean }): Promise<void> {
  const { membership } = joined
  await recordEvent(c, services, { type: 'invitation.org.accepted', userId: membership.userId, orgId: membership.orgId, data: { invitation_id: invitationId } })
  if (!joined.alreadyMember) await recordMembershipCreated(c, services, membership, { invitation_id: invitationId })
}

/** A new account and its first member (who made it). */
export async function recordAccountCreated(c: Context<AppEnv>, services: Services, created: MembershipWithOrg): Promise<void> {
  await recordEvent(c, services, { type: 'org.created', userId: created.userId, orgId: created.org.id, data: { name: created.org.name } })
  await recordMembershipCreated(c, services, created)
}

export function recordMembershipCreated(c: Context<AppEnv>, services: Services, membership: Membership, data: Record<string, unknown> = {}): Promise<void> {
  return recordEvent(c, services, {
    type: 'membership.created',
    userId: membership.userId,
    orgId: membership.orgId,
    data: { membership_id: membership.id, permissions: membership.permissions, ...data },
  })
}
