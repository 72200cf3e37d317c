import type { MembershipWithOrg } from '../../domain/account.js'
import type { NamedEvent } from '../../domain/event.js'
import type { SessionDetails } from '../../domain/session.js'
import type { User } from '../../domain/user.js'
import type { RealmSettings } from '../../domain/realm.js'
import type { FieldErrors } from '../../domain/validation.js'
import { Field, Form, Notice } from '../form.js'
import { minuteTime } from '../format.js'
import type { RealmRow } from './admin-home.js'
import { EventsTable } from './admin-events-table.js'
import { AdminLayout } from './admin-layout.js'
import { RealmNav } from './admin-realm-nav.js'
import { stateText } from './admin-users.js'
import { adminUrl } from '../admin-urls.js'

type Admin = { email: string; csrf: string }

export interface UserRealm extends RealmRow {
  nameField: RealmSettings['name_field']
  usernameField: RealmSettings['username_field']
}

export interface UserPageProps {
  admin: Admin
  realm: UserRealm
  user: User
  memberships: MembershipWithOrg[]
  sessions: SessionDetails[]
  events: NamedEvent[]
  notice?: string | undefined
  /** A refused edit: what was typed and what is wrong. */
  edit?: { values: Record<string, string>; errors: FieldErrors } | undefined
}

function Profile({ user }: { user: User }) {
  const rows: [string, unknown][] = [
    [
      'Email',
      <>
        {user.email} <span class="badge">{user.emailVerifiedAt ? '(confirmed)' : '(not confirmed)'}</span>
      </>,
    ],
    ['First name', user.firstName ?? '—'],
    ['Last name', user.lastName ?? '—'],
    ['Username', user.username ?? '—'],
    ['Locale', user.locale ?? '—'],
    ['State', stateText(user.state)],
    ['Created', minuteTime(user.createdAt)],
    ['Last login', user.lastLoginAt ? minuteTime(user.lastLoginAt) : 'Never'],
    ['ID', <code>{user.id}</code>],
  ]
  return (
    <dl class="profile">
      {rows.map(([term, value]) => (
        <>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </>
      ))}
    </dl>
  )
}

/** GET /admin/realms/:id/users/:user_id: one user, what they belong to, where they are logged in, what they did; and what an admin can do. */
export function AdminUserPage({ admin, realm, user, memberships, sessions, events, notice, edit }: UserPageProps) {
  const base = adminUrl.realm(realm.id).user(user.id)
  const errors = edit?.errors ?? {}
  const values = edit?.values ?? {
    email: user.email,
    first_name: user.firstName ?? '',
    last_name: user.lastName ?? '',
    username: user.username ?? '',
    locale: user.locale ?? '',
  }
  return (
    <AdminLayout title={user.email} signedIn={admin}>
      <RealmNav id={realm.id} current="users" />
      <p>
        <a href={adminUrl.realm(realm.id).users}>All users of {realm.name}</a>
      </p>
      {notice ? <Notice kind="info">{notice}</Notice> : null}
      {edit ? <Notice kind="error">Nothing was saved: {Object.values(errors)[0]}</Notice> : null}

      <h2>Profile</h2>
      <Profile user={user} />

      <h2>Actions</h2>
      <div class="actions">
        {user.state === 'active' ? (
          <Form csrf={admin.csrf} action={`${base}/password-reset`}>
            <button type="submit" class="inline secondary">
              Send a password reset email
            </button>
          </Form>
        ) : null}
        {user.emailVerifiedAt ? null : (
          <Form csrf={admin.csrf} action={`${base}/verification`}>
            <button type="submit" class="inline secondary">
              Resend the confirmation email
            </button>
          </Form>
        )}
        {user.state === 'active' ? (
          <Form csrf={admin.csrf} action={`${base}/disable`}>
            <button type="submit" class="inline secondary" aria-describedby="disable-hint">
              Disable
            </button>
          </Form>
        ) : (
          <Form csrf={admin.csrf} action={`${base}/enable`}>
            <button type="submit" class="inline">
              Enable
            </button>
          </Form>
        )}
        <a href={`${base}/delete`} class="danger-link">
          Delete…
        </a>
      </div>
      <p class="hint" id="disable-hint">
        {user.state === 'active'
          ? 'Disabling logs the user out everywhere (their apps at the next token renewal) and refuses their logins until enabled again.'
          : 'This user is disabled: they can’t log in, and password reset links don’t work for them.'}
      </p>

      <h2>Accounts</h2>
      {memberships.length === 0 ? (
        <p>No accounts.</p>
      ) : (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Permissions</th>
                <th scope="col">Current</th>
              </tr>
            </thead>
            <tbody>
              {memberships.map((membership) => (
                <tr>
                  <td>
                    <a href={adminUrl.realm(realm.id).account(membership.orgId)}>{membership.org.name}</a>
                  </td>
                  <td>{membership.permissions.join(', ') || '—'}</td>
                  <td>{membership.selected ? 'Yes' : 'No'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>Sessions</h2>
      {sessions.length === 0 ? (
        <p>Not logged in anywhere.</p>
      ) : (
        <>
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Expires</th>
                  <th scope="col">IP address</th>
                  <th scope="col">Browser</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {sessions.map((session) => (
                  <tr>
                    <td>{minuteTime(session.createdAt)}</td>
                    <td>{minuteTime(session.expiresAt)}</td>
                    <td>{session.ip ?? '—'}</td>
                    <td>{session.userAgent ?? '—'}</td>
                    <td>
                      <Form csrf={admin.csrf} action={`${base}/sessions/${session.id}/revoke`}>
                        <button type="submit" class="inline secondary" aria-label={`Revoke the session started ${session.createdAt.toISOString()}`}>
                          Revoke
                        </button>
                      </Form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Form csrf={admin.csrf} action={`${base}/sessions/revoke-all`}>
            <button type="submit" class="inline">
              Revoke all sessions
            </button>
          </Form>
        </>
      )}
      <p class="hint">A revoked session’s apps log the user out at their next token renewal.</p>

      <h2>Recent events</h2>
      {events.length === 0 ? (
        <p>No events.</p>
      ) : (
        <div class="scroll">
          <EventsTable events={events} realmId={realm.id} hide={['user']} />
        </div>
      )}
      <p>
        <a href={`${adminUrl.realm(realm.id).events}?user=${encodeURIComponent(user.id)}`}>All of this user’s events</a>
      </p>

      <h2 id="edit">Edit</h2>
      <Form csrf={admin.csrf} action={`${base}/edit`}>
        <Field
          name="email"
          label="Email"
          type="email"
          value={values.email ?? ''}
          errors={errors}
          autocomplete="off"
          required
          hint="A new address is unconfirmed until the user opens the link of a confirmation email."
        />
        {realm.nameField === 'hidden' ? null : (
          <div class="row">
            <Field name="first_name" label="First name" value={values.first_name ?? ''} errors={errors} autocomplete="off" required={realm.nameField === 'required'} />
            <Field name="last_name" label="Last name" value={values.last_name ?? ''} errors={errors} autocomplete="off" required={realm.nameField === 'required'} />
          </div>
        )}
        {realm.usernameField === 'hidden' ? null : (
          <Field name="username" label="Username" value={values.username ?? ''} errors={errors} autocomplete="off" required={realm.usernameField === 'required'} />
        )}
        <Field name="locale" label="Locale" value={values.locale ?? ''} errors={errors} autocomplete="off" hint="A language tag such as en or pt-BR; empty for none." />
        <button type="submit" class="inline">
          Save
        </button>
      </Form>
    </AdminLayout>
  )
}

export interface DeleteImpact {
  /** Accounts only this user belongs to: they go too (in single-user realms, the personal account). */
  deleted: MembershipWithOrg[]
  /** Accounts with other members, of which this user is the only owner: the user can't be deleted before they have another. */
  ownerless: MembershipWithOrg[]
}

/** GET /admin/realms/:id/users/:user_id/delete: what deleting does, and the typed confirmation. */
export function AdminUserDeletePage({ admin, realm, user, impact, typed = '', errors = {} }: { admin: Admin; realm: RealmRow; user: User; impact: DeleteImpact; typed?: string; errors?: FieldErrors }) {
  const base = adminUrl.realm(realm.id).user(user.id)
  const names = (list: MembershipWithOrg[]) => list.map((m) => m.org.name).join(', ')
  return (
    <AdminLayout title={`Delete ${user.email}?`} signedIn={admin}>
      <RealmNav id={realm.id} current="users" />
      {errors.confirm_email ? <Notice kind="error">Nothing was deleted: {errors.confirm_email}</Notice> : null}
      {impact.ownerless.length > 0 ? (
        <div class="notice error" role="alert">
          <p>
            {user.email} is the only owner of accounts that other people share, and every account needs an owner. Make another member an owner of each
            first, then delete the user:
          </p>
          <ul>
            {impact.ownerless.map((m) => (
              <li>
                <a href={adminUrl.realm(realm.id).account(m.org.id)}>{m.org.name}</a>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <p>Deleting a user can’t be undone. At once:</p>
      <ul>
        <li>their sessions end (their apps log them out at the next token renewal) and their password reset and confirmation links stop working;</li>
        <li>
          they leave all their accounts.
          {impact.deleted.length > 0 ? ` Accounts with no other member are deleted, with their invitations: ${names(impact.deleted)}.` : null}
        </li>
        <li>invitations they sent stay valid;</li>
        <li>the event log keeps its entries about them until they are pruned.</li>
      </ul>
      <Form csrf={admin.csrf} action={`${base}/delete`}>
        <Field name="confirm_email" label={`Type ${user.email} to confirm`} value={typed} errors={errors} autocomplete="off" required />
        <div class="actions">
          <button type="submit" class="inline danger">
            Delete this user
          </button>
          <a href={base}>Cancel</a>
        </div>
      </Form>
    </AdminLayout>
  )
}
