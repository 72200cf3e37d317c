import type { Kysely, Selectable, Updateable } from 'kysely'
import { fromDbTime, toDbTime } from '../convert.js'
import { invitationPermissions } from '../json-column.js'
import type { Database, InvitationTable } from '../schema.js'
import type { Invitation } from '../../domain/invitation.js'
import { normalizeEmail } from '../../domain/user.js'

const toInvitation = (row: Selectable<InvitationTable>): Invitation => ({
  id: row.id,
  realmId: row.realm_id,
  orgId: row.org_id,
  email: row.email,
  permissions: invitationPermissions.read(row.permissions, row.id),
  inviterUserId: row.inviter_user_id,
  createdAt: fromDbTime(row.created_at),
  expiresAt: fromDbTime(row.expires_at),
  acceptedAt: fromDbTime(row.accepted_at),
  revokedAt: fromDbTime(row.revoked_at),
})

export function invitationRepository(db: Kysely<Database>) {
  /** Neither accepted nor revoked (expired ones included: they can still be sent again or revoked). */
  const open = (realmId: string, orgId: string) =>
    db
      .selectFrom('invitations')
      .selectAll()
      .where('realm_id', '=', realmId)
      .where('org_id', '=', orgId)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)

  /** Changes one open invitation; false when it isn't open (any more). */
  async function updateOpen(realmId: string, orgId: string, id: string, set: Updateable<InvitationTable>): Promise<boolean> {
    const result = await db
      .updateTable('invitations')
      .set(set)
      .where('realm_id', '=', realmId)
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  return {
    async insert(invitation: Invitation, tokenHash: string): Promise<void> {
      await db
        .insertInto('invitations')
        .values({
          id: invitation.id,
          realm_id: invitation.realmId,
          org_id: invitation.orgId,
          email: invitation.email,
          email_normalized: normalizeEmail(invitation.email),
          permissions: invitationPermissions.write(invitation.permissions),
          inviter_user_id: invitation.inviterUserId,
          token_hash: tokenHash,
          created_at: toDbTime(invitation.createdAt),
          expires_at: toDbTime(invitation.expiresAt),
          accepted_at: null,
          revoked_at: null,
        })
        .execute()
    },

    /** The invitation a link's secret (hashed) belongs to, in whatever state. */
    async byTokenHash(tokenHash: string): Promise<Invitation | null> {
      const row = await db.selectFrom('invitations').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()
      return row ? toInvitation(row) : null
    },

    /** The account's open invitations, newest first. */
    async openOf(realmId: string, orgId: string): Promise<Invitation[]> {
      const rows = await open(realmId, orgId).orderBy('created_at', 'desc').orderBy('id').execute()
      return rows.map(toInvitation)
    },

    async openFor(realmId: string, orgId: string, email: string): Promise<Invitation | null> {
      const row = await open(realmId, orgId).where('email_normalized', '=', normalizeEmail(email)).executeTakeFirst()
      return row ? toInvitation(row) : null
    },

    /** A new secret and expiry for an open invitation (the old link stops working); false when it isn't open. */
    renew(realmId: string, orgId: string, id: string, tokenHash: string, expiresAt: Date): Promise<boolean> {
      return updateOpen(realmId, orgId, id, { token_hash: tokenHash, expires_at: toDbTime(expiresAt) })
    },

    /** Voids an open invitation; false when it isn't open. */
    revoke(realmId: string, orgId: string, id: string, now: Date): Promise<boolean> {
      return updateOpen(realmId, orgId, id, { revoked_at: toDbTime(now) })
    },

    /** Uses a pending invitation up; false when it was accepted, revoked or expired meanwhile. */
    async markAccepted(trx: Kysely<Database>, id: string, now: Date): Promise<boolean> {
      const result = await trx
        .updateTable('invitations')
        .set({ accepted_at: toDbTime(now) })
        .where('id', '=', id)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', toDbTime(now))
        .executeTakeFirst()
      return Number(result.numUpdatedRows) === 1
    },
  }
}

export type InvitationRepository = ReturnType<typeof invitationRepository>
