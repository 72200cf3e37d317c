import type { Member, Org } from '../../domain/account.js'
import type { NamedEvent } from '../../domain/event.js'
import type { Invitation } from '../../domain/invitation.js'
import type { Realm } from '../../domain/realm.js'
import { offeredPermissions } from '../../domain/permissions.js'
import type { FieldErrors } from '../../domain/validation.js'
import { Checkboxes, ConfirmBox, Field, Form, Notice } from '../form.js'
import { dayTime, minuteTime } from '../format.js'
import { permissionOptions, permissionsText } from './account-members.js'
import { EventsTable } from './admin-events-table.js'
import { AdminLayout } from './admin-layout.js'
import { RealmNav } from './admin-realm-nav.js'
import { adminUrl } from '../admin-urls.js'

type Admin = { email: string; csrf: string }

/** The form a failed post came from: its errors and typed values are shown again, the others start afresh. */
export type AdminAccountForm = 'name' | 'close' | `member:${string}`

export interface AdminAccountFailure {
  form: AdminAccountForm
  errors: FieldErrors
  values: { account_name?: string; permissions?: string[] }
}

export interface AdminAccountPageProps {
  admin: Admin
  realm: Realm
  org: Org
  members: Member[]
  invitations: Invitation[]
  /** The account's latest events, newest first. */
  events: NamedEvent[]
  now: Date
  notice?: string | undefined
  failed?: AdminAccountFailure | undefined
}

const fullName = (member: Member) => [member.firstName, member.lastName].filter(Boolean).join(' ')

function MemberItem({ admin, realm, org, member, failed }: { admin: Admin; realm: Realm; org: Org; member: Member; failed: AdminAccountFailure | undefined }) {
  const base = `${adminUrl.realm(realm.id).account(org.id)}/members/${encodeURIComponent(member.id)}`
  const mine = failed?.form === `member:${member.id}`
  const name = fullName(member)
  return (
    <li id={`member-${member.id}`}>
      <p class="who">
        <a href={adminUrl.realm(realm.id).user(member.userId)}>{member.email}</a>
        {name ? ` · ${name}` : ''}
        <span class="badge"> · member since {dayTime(member.createdAt)}</span>
      </p>
      <div class="actions">
        <Form csrf={admin.csrf} action={`${base}/permissions`}>
          <Checkboxes
            name="permissions"
            legend={`Permissions of ${member.email}`}
            idPrefix={`perm-${member.id}`}
            options={permissionOptions(offeredPermissions(realm, true, member.permissions))}
            checked={mine ? (failed.values.permissions ?? []) : member.permissions}
            errors={mine ? failed.errors : {}}
          />
          <button type="submit" class="inline">
            Save permissions
          </button>
        </Form>
        <a class="action" href={`${base}/remove`}>
          Remove from account…
        </a>
      </div>
    </li>
  )
}

function Invitations({ admin, realm, org, invitations, now }: { admin: Admin; realm: Realm; org: Org; invitations: Invitation[]; now: Date }) {
  return (
    <section aria-labelledby="invitations-heading">
      <h2 id="invitations-heading">Open invitations</h2>
      {invitations.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul class="invitations">
          {invitations.map((invitation) => {
            const expired = invitation.expiresAt.getTime() <= now.getTime()
            return (
              <li id={`invitation-${invitation.id}`}>
                <p class="who">{invitation.email}</p>
                <p class="perms">
                  {permissionsText(invitation.permissions)} · {expired ? 'expired on' : 'valid until'} {dayTime(invitation.expiresAt)}
                </p>
                <Form csrf={admin.csrf} action={`${adminUrl.realm(realm.id).account(org.id)}/invitations/${encodeURIComponent(invitation.id)}/revoke`}>
                  <button type="submit" class="inline secondary" aria-label={`Revoke the invitation of ${invitation.email}`}>
                    Revoke
                  </button>
                </Form>
              </li>
            )
          })}
        </ul>
      )}
    </section>
  )
}

function Events({ realm, org, events }: { realm: Realm; org: Org; events: NamedEvent[] }) {
  return (
    <section aria-labelledby="events-heading">
      <h2 id="events-heading">Recent events</h2>
      {events.length === 0 ? <p>None recorded.</p> : <EventsTable events={events} realmId={realm.id} hide={['account']} />}
      <p>
        <a href={`${adminUrl.realm(realm.id).events}?${new URLSearchParams({ account: org.id })}`}>All events of this account</a>
      </p>
    </section>
  )
}

function State({ admin, realm, org, errors }: { admin: Admin; realm: Realm; org: Org; errors: FieldErrors }) {
  const base = adminUrl.realm(realm.id).account(org.id)
  if (org.state === 'closed') {
    return (
      <section aria-labelledby="state-heading">
        <h2 id="state-heading">Reopen this account</h2>
        <p>The account is closed: it is in no member’s list or token. Reopening brings it back, with its members and their permissions, at their next token renewal.</p>
        <Form csrf={admin.csrf} action={`${base}/reopen`}>
          <button type="submit" class="inline">
            Reopen account
          </button>
        </Form>
      </section>
    )
  }
  if (realm.settings.org_mode !== 'multi_user') {
    return (
      <section aria-labelledby="state-heading">
        <h2 id="state-heading">Close this account</h2>
        <p>Accounts in this realm are personal, so they can’t be closed: a user without one gets a new one at their next login.</p>
      </section>
    )
  }
  return (
    <section aria-labelledby="state-heading">
      <h2 id="state-heading">Close this account</h2>
      <Form csrf={admin.csrf} action={`${base}/close`}>
        <p class="hint">It leaves every member’s list of accounts, and their tokens at the next renewal. You can reopen it here.</p>
        <ConfirmBox errors={errors}>Yes, close “{org.name}” for all its members.</ConfirmBox>
        <button type="submit" class="inline danger">
          Close account
        </button>
      </Form>
    </section>
  )
}

/** GET /admin/realms/:id/accounts/:org_id: one account, its members, invitations and events, and every change an admin can make. */
export function AdminAccountPage({ admin, realm, org, members, invitations, events, now, notice, failed }: AdminAccountPageProps) {
  const errorsOf = (form: AdminAccountForm): FieldErrors => (failed?.form === form ? failed.errors : {})
  return (
    <AdminLayout title={`${realm.name}: account ${org.name}`} signedIn={admin}>
      <RealmNav id={realm.id} current="accounts" />
      <p>
        <a href={adminUrl.realm(realm.id).accounts}>All accounts</a>
      </p>
      {notice ? <Notice kind="info">{notice}</Notice> : null}
      {failed ? <Notice kind="error">Nothing was changed: {Object.values(failed.errors)[0]}</Notice> : null}
      <dl class="facts">
        <dt>Name</dt>
        <dd>{org.name}</dd>
        <dt>ID</dt>
        <dd>
          <code>{org.id}</code>
        </dd>
        <dt>State</dt>
        <dd>{org.state}</dd>
        <dt>Created</dt>
        <dd>{minuteTime(org.createdAt)}</dd>
      </dl>

      <section aria-labelledby="name-heading">
        <h2 id="name-heading">Name</h2>
        <Form csrf={admin.csrf} action={`${adminUrl.realm(realm.id).account(org.id)}/name`}>
          <Field
            name="account_name"
            label="Account name"
            value={failed?.form === 'name' ? (failed.values.account_name ?? '') : org.name}
            errors={errorsOf('name')}
            autocomplete="off"
            required
            autofocus={failed?.form === 'name'}
          />
          <button type="submit" class="inline">
            Save name
          </button>
        </Form>
      </section>

      <section aria-labelledby="members-heading">
        <h2 id="members-heading">Members ({members.length})</h2>
        {members.length === 0 ? (
          <p>None.</p>
        ) : (
          <ul class="members">
            {members.map((member) => (
              <MemberItem admin={admin} realm={realm} org={org} member={member} failed={failed} />
            ))}
          </ul>
        )}
      </section>

      <Invitations admin={admin} realm={realm} org={org} invitations={invitations} now={now} />
      <Events realm={realm} org={org} events={events} />
      <State admin={admin} realm={realm} org={org} errors={errorsOf('close')} />
    </AdminLayout>
  )
}

/** GET /admin/realms/:id/accounts/:org_id/members/:mb_id/remove: the confirmation a removal needs. */
export function AdminRemoveMemberPage({ admin, realm, org, member, errors = {} }: { admin: Admin; realm: Realm; org: Org; member: Member; errors?: FieldErrors }) {
  const base = adminUrl.realm(realm.id).account(org.id)
  return (
    <AdminLayout title={`${realm.name}: remove a member`} signedIn={admin}>
      <RealmNav id={realm.id} current="accounts" />
      {errors.confirm ? <Notice kind="error">Nothing was changed: {errors.confirm}</Notice> : null}
      <p>
        Remove <strong>{member.email}</strong> from the account <strong>{org.name}</strong>? They keep their login; the account leaves their list, and their
        token at its next renewal. Its owners can invite them again.
      </p>
      <p class="perms">Their permissions now: {permissionsText(member.permissions)}.</p>
      <Form csrf={admin.csrf} action={`${base}/members/${encodeURIComponent(member.id)}/remove`}>
        <ConfirmBox errors={errors}>Yes, remove {member.email} from “{org.name}”.</ConfirmBox>
        <button type="submit" class="inline danger">
          Remove member
        </button>
      </Form>
      <p>
        <a href={`${base}#member-${member.id}`}>Cancel</a>
      </p>
    </AdminLayout>
  )
}
