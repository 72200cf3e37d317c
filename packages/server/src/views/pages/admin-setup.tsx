import { PASSWORD_MIN } from '../../services/passwords.js'
import type { FieldErrors } from '../../domain/validation.js'
import { Field, Form } from '../form.js'
import { AdminLayout } from './admin-layout.js'

/** The first admin's form, reached through the one-time setup link. */
export function AdminSetupPage({ csrf, token, email = '', errors = {} }: { csrf: string; token: string; email?: string; errors?: FieldErrors }) {
  return (
    <AdminLayout title="Create the first admin">
      <p>This link works once. The admin you create here can sign in to the portal at /admin.</p>
      <Form csrf={csrf} action="/admin/setup" hidden={{ token }}>
        <Field name="email" label="Email" type="email" value={email} errors={errors} autocomplete="username" required autofocus />
        <Field name="password" label="Password" type="password" errors={errors} autocomplete="new-password" required hint={`At least ${PASSWORD_MIN} characters.`} />
        <Field name="confirm" label="Confirm password" type="password" errors={errors} autocomplete="new-password" required />
        <button type="submit">Create admin</button>
      </Form>
    </AdminLayout>
  )
}
