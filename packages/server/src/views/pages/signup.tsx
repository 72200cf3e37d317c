import type { Realm } from '../../domain/realm.js'
import type { FieldErrors } from '../../domain/validation.js'
import { Field, Form, Notice } from '../form.js'
import { Layout } from '../layout.js'

export interface SignupPageProps {
  realm: Realm
  csrf: string
  values?: Record<string, string>
  errors?: FieldErrors
  carry: string
  hidden: Record<string, string | undefined>
  /** Signing up through an invitation: its address is the login's, and the user joins its account. */
  invitation?: { secret: string; email: string; orgName: string } | undefined
}

export function SignupPage({ realm, csrf, values = {}, errors = {}, carry, hidden, invitation }: SignupPageProps) {
  const { name_field: nameField, username_field: usernameField, org_mode: orgMode, org_name_field: orgNameField } = realm.settings
  const optional = (label: string, mode: string) => (mode === 'optional' ? `${label} (optional)` : label)
  return (
    <Layout realm={realm} title="Create your account">
      {invitation ? (
        <Notice kind="info">
          You’re invited to join <strong>{invitation.orgName}</strong>. Create your login to accept.
        </Notice>
      ) : null}
      <Form csrf={csrf} action={`/signup${carry}`} hidden={invitation ? { ...hidden, invitation: invitation.secret } : hidden}>
        {nameField !== 'hidden' ? (
          <div class="row">
            <Field name="first_name" label={optional('First name', nameField)} value={values.first_name} errors={errors} autocomplete="given-name" required={nameField === 'required'} autofocus />
            <Field name="last_name" label={optional('Last name', nameField)} value={values.last_name} errors={errors} autocomplete="family-name" required={nameField === 'required'} />
          </div>
        ) : null}
        {usernameField !== 'hidden' ? (
          <Field name="username" label={optional('Username', usernameField)} value={values.username} errors={errors} autocomplete="nickname" required={usernameField === 'required'} />
        ) : null}
        {orgMode === 'multi_user' && orgNameField !== 'hidden' && !invitation ? (
          <Field name="account_name" label={optional('Account name', orgNameField)} value={values.account_name} errors={errors} autocomplete="organization" required={orgNameField === 'required'} hint="Your team or company; you can invite others to it." />
        ) : null}
        <Field
          name="email"
          label="Email"
          type="email"
          value={invitation ? invitation.email : values.email}
          errors={errors}
          autocomplete="email"
          required
          autofocus={nameField === 'hidden' && !invitation}
          readonly={invitation !== undefined}
          hint={invitation ? 'The address the invitation was sent to.' : undefined}
        />
        <Field name="password" label="Password" type="password" errors={errors} autocomplete="new-password" required hint="At least 8 characters." />
        <button type="submit">Create account</button>
      </Form>
      <nav class="links" aria-label="Other options">
        <a href={`/login${carry}`}>Already have an account? Log in</a>
      </nav>
    </Layout>
  )
}
