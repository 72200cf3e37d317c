import type { Realm } from '../../domain/realm.js'
import type { User } from '../../domain/user.js'
import type { FieldErrors } from '../../domain/validation.js'
import { Field, Form, Notice } from '../form.js'
import { Layout } from '../layout.js'
import { OutboxNote } from '../outbox-note.js'

/** Which of the three forms was sent (its errors and typed values are shown; the others start fresh). */
export type ProfileForm = 'name' | 'email' | 'password'

export interface ProfilePageProps {
  realm: Realm
  csrf: string
  user: User
  /** `?redirect_uri=...` (or '') for the forms' actions, so each answer keeps the way back to the app. */
  carry: string
  /** The app to go back to: only when the request carried a redirect_uri the realm accepts. */
  backTo: string | null
  notice?: string | undefined
  /** The admin portal's outbox, after a change of email address while mails go nowhere else. */
  outbox?: string | null | undefined
  /** The form that failed, with its errors and the values to show again. */
  failed?: { form: ProfileForm; errors: FieldErrors; values: Record<string, string> } | undefined
}

/** The user's profile: one section (heading and form) each for the name, the email address and the password. */
export function ProfilePage({ realm, csrf, user, carry, backTo, notice, outbox, failed }: ProfilePageProps) {
  const nameField = realm.settings.name_field
  const errorsOf = (form: ProfileForm): FieldErrors => (failed?.form === form ? failed.errors : {})
  const valueOf = (form: ProfileForm, name: string, fallback: string): string =>
    failed?.form === form ? (failed.values[name] ?? '') : fallback
  const optional = (label: string) => (nameField === 'optional' ? `${label} (optional)` : label)
  const fullName = [user.firstName, user.lastName].filter(Boolean).join(' ')
  // After a failed post, the first field to fix gets the focus.
  const focus = failed ? Object.keys(failed.errors)[0] : undefined

  return (
    <Layout realm={realm} title="Your profile">
      {notice ? <Notice kind="info">{notice}</Notice> : null}
      <OutboxNote url={outbox} />
      {failed ? <Notice kind="error">Please fix what is marked below.</Notice> : null}

      {nameField !== 'hidden' ? (
        <section aria-labelledby="name-heading">
          <h2 id="name-heading">Name</h2>
          <p class="current">{fullName ? fullName : 'You haven’t entered a name yet.'}</p>
          <Form csrf={csrf} action={`/profile/name${carry}`}>
            <div class="row">
              <Field
                name="first_name"
                autofocus={focus === 'first_name'}
                label={optional('First name')}
                value={valueOf('name', 'first_name', user.firstName ?? '')}
                errors={errorsOf('name')}
                autocomplete="given-name"
                required={nameField === 'required'}
              />
              <Field
                name="last_name"
                autofocus={focus === 'last_name'}
                label={optional('Last name')}
                value={valueOf('name', 'last_name', user.lastName ?? '')}
                errors={errorsOf('name')}
                autocomplete="family-name"
                required={nameField === 'required'}
              />
            </div>
            <button type="submit">Save name</button>
          </Form>
        </section>
      ) : null}

      <section aria-labelledby="email-heading">
        <h2 id="email-heading">Email</h2>
        <p class="current">
          <span class="email">{user.email}</span>{' '}
          <span class="email-state">{user.emailVerifiedAt ? '(verified)' : '(not verified yet)'}</span>
        </p>
        <Form csrf={csrf} action={`/profile/email${carry}`}>
          <Field
            name="email"
            autofocus={focus === 'email'}
            label="New email address"
            type="email"
            value={valueOf('email', 'email', '')}
            errors={errorsOf('email')}
            autocomplete="email"
            required
            hint="We’ll send a link to the new address; your email changes when you open it."
          />
          <Field
            name="email_password"
            label="Current password"
            type="password"
            errors={errorsOf('email')}
            autocomplete="current-password"
            required
            autofocus={focus === 'email_password'}
          />
          <button type="submit">Change email</button>
        </Form>
      </section>

      <section aria-labelledby="password-heading">
        <h2 id="password-heading">Password</h2>
        <Form csrf={csrf} action={`/profile/password${carry}`}>
          <Field
            name="current_password"
            label="Current password"
            type="password"
            errors={errorsOf('password')}
            autocomplete="current-password"
            required
            autofocus={focus === 'current_password'}
          />
          <Field
            name="new_password"
            autofocus={focus === 'new_password'}
            label="New password"
            type="password"
            errors={errorsOf('password')}
            autocomplete="new-password"
            required
            hint="At least 8 characters. You’ll stay logged in here and be logged out everywhere else."
          />
          <button type="submit">Change password</button>
        </Form>
      </section>

      <nav class="links" aria-label="Leave the profile">
        {backTo ? <a href={backTo}>Back to the app</a> : null}
        {/* A form, not a link: GET /logout asks first, since any site can make a browser load it. */}
        <form method="post" action="/logout" class="inline">
          <input type="hidden" name="csrf" value={csrf} />
          <button type="submit" class="link">
            Log out
          </button>
        </form>
      </nav>
    </Layout>
  )
}
