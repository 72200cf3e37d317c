import type { Member } from '../../domain/account.js'
import type { Realm } from '../../domain/realm.js'
import type { AccountAccess } from '../../services/account-management.js'
import { ADMIN, OWNER, isOwner, offeredPermissions } from '../../domain/permissions.js'
import type { FieldErrors } from '../../domain/validation.js'
import { Checkboxes, Form } from '../form.js'

/** A permission as a checkbox or list shows it; the reserved ones by their role. */
export function permissionLabel(permission: string): string {
  if (permission === OWNER) return `Owner (${OWNER})`
  if (permission === ADMIN) return `Admin (${ADMIN})`
  return permission
}

export const permissionOptions = (permissions: string[]) => permissions.map((value) => ({ value, label: permissionLabel(value) }))

export const permissionsText = (permissions: string[]) => (permissions.length > 0 ? permissions.map(permissionLabel).join(', ') : 'no permissions')

export interface MembersProps {
  realm: Realm
  csrf: string
  access: AccountAccess
  members: Member[]
  /** The account's path (`/accounts/<id>`) and the query every form keeps. */
  base: string
  carry: string
  /** The member whose form failed, with its errors and the boxes that were ticked. */
  failed?: { membershipId: string; errors: FieldErrors; permissions: string[] } | undefined
}

/**
 * The members, each with their permissions: a form of checkboxes and a Remove button for those this manager
 * may change (admins can't change owners), plain text for the others and for the manager themselves' removal.
 */
export function Members({ realm, csrf, access, members, base, carry, failed }: MembersProps) {
  return (
    <section aria-labelledby="members-heading">
      <h2 id="members-heading">Members</h2>
      <ul class="members">
        {members.map((member) => {
          const me = member.id === access.membership.id
          const name = [member.firstName, member.lastName].filter(Boolean).join(' ')
          const editable = !isOwner(member) || access.owner
          const errors = failed?.membershipId === member.id ? failed.errors : {}
          const checked = failed?.membershipId === member.id ? failed.permissions : member.permissions
          return (
            <li id={`member-${member.id}`}>
              <p class="who">
                {name ? `${name} · ` : ''}
                {member.email}
                {me ? <span class="badge"> (you)</span> : null}
              </p>
              {editable ? (
                <div class="actions">
                  <Form csrf={csrf} action={`${base}/members/${encodeURIComponent(member.id)}/permissions${carry}`}>
                    <Checkboxes
                      name="permissions"
                      legend={`Permissions of ${member.email}`}
                      idPrefix={`perm-${member.id}`}
                      options={permissionOptions(offeredPermissions(realm, access.owner, member.permissions))}
                      checked={checked}
                      errors={errors}
                    />
                    <button type="submit" class="inline">Save permissions</button>
                  </Form>
                  {me ? null : (
                    <Form csrf={csrf} action={`${base}/members/${encodeURIComponent(member.id)}/remove${carry}`}>
                      <button type="submit" class="inline secondary">Remove from account</button>
                    </Form>
                  )}
                </div>
              ) : (
                <p class="perms">{permissionsText(member.permissions)}</p>
              )}
              {errors.remove ? (
                <p class="error" role="alert">
                  {errors.remove}
                </p>
              ) : null}
            </li>
          )
        })}
      </ul>
    </section>
  )
}
