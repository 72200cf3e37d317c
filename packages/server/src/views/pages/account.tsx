import type { Member } from '../../domain/account.js'
import type { Invitation } from '../../domain/invitation.js'
import type { Realm } from '../../domain/realm.js'
import type { AccountAccess } from '../../services/account-management.js'
import type { FieldErrors } from '../../domain/validation.js'
import { ConfirmBox, Field, Form, Notice } from '../form.js'
import { Layout } from '../layout.js'
import { OutboxNote } from '../outbox-note.js'
import { Invitations } from './account-invitations.js'
import { Members, permissionsText } from './account-members.js'

/** The form a post came from: its errors and typed values are shown again, the other forms start afresh. */
export type AccountForm = 'name' | 'invite' | 'leave' | 'close' | `member:${string}`

export interface AccountFailure {
  form: AccountForm
  errors: FieldErrors
  values: Record<string, string | string[]>
}

export interface AccountPageProps {
  realm: Realm
  csrf: string
  access: AccountAccess
  /** Members and open invitations: only for owners and admins (empty for the others). */
  members: Member[]
  invitations: Invitation[]
  now: Date
  /** `?redirect_uri=...` (or '') for the forms' actions, so every answer keeps the way back to the app. */
  carry: string
  /** The app to go back to (through /login, for a fresh token), when the request carried a redirect_uri. */
  backTo: string | null
  /** The list of the user's accounts, keeping the way back to the app. */
  accountsHref: string
  notice?: string | undefined
  /** The admin portal's outbox, after an invitation was mailed while mails go nowhere else. */
  outbox?: string | null | undefined
  failed?: AccountFailure | undefined
  /** Why this user can't invite yet (their email isn't confirmed), or null. */
  inviteBlocked?: string | null | undefined
}

const text = (value: string | string[] | undefined) => (typeof value === 'string' ? value : '')
const list = (value: string | string[] | undefined) => (Array.isArray(value) ? value : [])

/**
 * One account: for its owners and admins, its name, members (permissions, removal), invitations; for every
 * member, leaving it; for owners, closing it. Each form posts to its own path under `/accounts/<id>`.
 */
export function AccountPage({ realm, csrf, access, members, invitations, now, carry, backTo, accountsHref, notice, outbox, failed, inviteBlocked }: AccountPageProps) {
  const { org } = access
  const base = `/accounts/${encodeURIComponent(org.id)}`
  const errorsOf = (form: AccountForm): FieldErrors => (failed?.form === form ? failed.errors : {})
  const memberFailure = failed?.form.startsWith('member:')
    ? { membershipId: failed.form.slice('member:'.length), errors: failed.errors, permissions: list(failed.values.permissions) }
    : undefined
  const inviteFailure = failed?.form === 'invite' ? { errors: failed.errors, email: text(failed.values.email), permissions: list(failed.values.permissions) } : undefined

  return (
    <Layout realm={realm} title={org.name} wide>
      {notice ? <Notice kind="info">{notice}</Notice> : null}
      <OutboxNote url={outbox} />
      {failed ? <Notice kind="error">Please fix what is marked below.</Notice> : null}

      {access.manager ? (
        <>
          <section aria-labelledby="name-heading">
            <h2 id="name-heading">Account name</h2>
            <Form csrf={csrf} action={`${base}/name${carry}`}>
              <Field
                name="account_name"
                label="Name"
                value={failed?.form === 'name' ? text(failed.values.account_name) : org.name}
                errors={errorsOf('name')}
                autocomplete="organization"
                required
                autofocus={failed?.form === 'name'}
              />
              <button type="submit">Save name</button>
            </Form>
          </section>
          <Members realm={realm} csrf={csrf} access={access} members={members} base={base} carry={carry} failed={memberFailure} />
          <Invitations realm={realm} csrf={csrf} access={access} invitations={invitations} now={now} base={base} carry={carry} failed={inviteFailure} blocked={inviteBlocked} />
        </>
      ) : (
        <section aria-labelledby="membership-heading">
          <h2 id="membership-heading">Your membership</h2>
          <p class="perms">Your permissions: {permissionsText(access.membership.permissions)}.</p>
          <p>The account’s owners and admins manage its members.</p>
        </section>
      )}

      <section aria-labelledby="leave-heading">
        <h2 id="leave-heading">Leave this account</h2>
        <Form csrf={csrf} action={`${base}/leave${carry}`}>
          <p class="hint">You lose access to this account in the app; its owners can invite you again.</p>
          {errorsOf('leave').leave ? <p class="error" role="alert">{errorsOf('leave').leave}</p> : null}
          <button type="submit" class="secondary">Leave this account</button>
        </Form>
      </section>

      {access.owner && realm.settings.org_mode === 'multi_user' ? (
        <section aria-labelledby="close-heading">
          <h2 id="close-heading">Close this account</h2>
          <Form csrf={csrf} action={`${base}/close${carry}`}>
            <ConfirmBox errors={errorsOf('close')}>I understand: the account closes for all its members.</ConfirmBox>
            <button type="submit" class="danger">Close this account</button>
          </Form>
        </section>
      ) : null}

      <nav class="links" aria-label="Leave this page">
        {backTo ? <a href={backTo}>Back to the app</a> : null}
        <a href={accountsHref}>Your accounts</a>
      </nav>
    </Layout>
  )
}
