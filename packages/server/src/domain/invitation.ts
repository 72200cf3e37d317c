/** An invitation to join an account (org) with some permissions; its link's secret is stored only as a hash. */
export interface Invitation {
  id: string
  realmId: string
  orgId: string
  email: string
  permissions: string[]
  inviterUserId: string | null
  createdAt: Date
  expiresAt: Date
  acceptedAt: Date | null
  revokedAt: Date | null
}

export type InvitationState = 'pending' | 'accepted' | 'revoked' | 'expired'

export function invitationState(invitation: Invitation, now: Date): InvitationState {
  if (invitation.acceptedAt) return 'accepted'
  if (invitation.revokedAt) return 'revoked'
  return invitation.expiresAt.getTime() <= now.getTime() ? 'expired' : 'pending'
}
