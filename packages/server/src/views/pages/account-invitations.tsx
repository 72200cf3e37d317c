import type { Invitation } from '../../domain/invitation.js'
import type { Realm } from '../../domain/realm.js'
import type { AccountAccess } from '../../services/account-management.js'
import { offeredPermissions } from '../../domain/permissions.js'
import { sharesAccounts } from '../../services/invitations.js'
import type { FieldErrors } from '../../domain/validation.js'
import { Checkboxes, Field, Form } from '../form.js'
import { utcDay } from '../format.js'
import { permissionOptions, permissionsText } from './account-members.js'

export interface InvitationsProps {
  realm: Realm
  csrf: string
  access: AccountAccess
  invitations: Invitation[]
  now: Date
  base: string
  carry: string
  /** The invite form's errors and typed values after a failed post. */
  failed?: { errors: FieldErrors; email: string; permissions: string[] } | undefined
  /** Why this user can't invite yet, shown instead of the form; null or absent when they can. */
  blocked?: string | null | undefined
}

/** "Invite someone" (email and permissions, the realm's defaults ticked) and the invitations still open. */
export function Invitations({ realm, csrf, access, invitations, now, base, carry, failed, blocked }: InvitationsProps) {
  if (!sharesAccounts(realm)) {
    return (
      <section aria-labelledby="invite-heading">
        <h2 id="invite-heading">Invite someone</h2>
        <p>Accounts here are personal: they can’t have other members.</p>
      </section>
    )
  }
  const defaults = realm.settings.new_member_permissions
  const errors = failed?.errors ?? {}
  return (
    <>
      <section aria-labelledby="invite-heading">
        <h2 id="invite-heading">Invite someone</h2>
        {blocked ? (
          <p class="notice info">{blocked}</p>
        ) : (
          <Form csrf={csrf} action={`${base}/invitations${carry}`}>
            <Field name="email" label="Email address" type="email" value={failed?.email ?? ''} errors={errors} autocomplete="off" required autofocus={Boolean(errors.email)} />
            <Checkboxes
              name="permissions"
              legend="Their permissions"
              idPrefix="invite-perm"
              options={permissionOptions(offeredPermissions(realm, access.owner, defaults))}
              checked={failed?.permissions ?? defaults}
              errors={errors}
            />
            <button type="submit">Send invitation</button>
          </Form>
        )}
      </section>
      {invitations.length > 0 ? (
        <section aria-labelledby="invitations-heading">
          <h2 id="invitations-heading">Open invitations</h2>
          <ul class="invitations">
            {invitations.map((invitation) => {
              const path = `${base}/invitations/${encodeURIComponent(invitation.id)}`
              const expired = invitation.expiresAt.getTime() <= now.getTime()
              return (
                <li id={`invitation-${invitation.id}`}>
                  <p class="who">{invitation.email}</p>
                  <p class="perms">
                    {permissionsText(invitation.permissions)} · {expired ? `expired on ${utcDay(invitation.expiresAt)}` : `valid until ${utcDay(invitation.expiresAt)}`}
                  </p>
                  <div class="actions">
                    <Form csrf={csrf} action={`${path}/resend${carry}`}>
                      <button type="submit" class="inline secondary">Send again</button>
                    </Form>
                    <Form csrf={csrf} action={`${path}/revoke${carry}`}>
                      <button type="submit" class="inline secondary">Revoke</button>
                    </Form>
                  </div>
                </li>
              )
            })}
          </ul>
        </section>
      ) : null}
    </>
  )
}
