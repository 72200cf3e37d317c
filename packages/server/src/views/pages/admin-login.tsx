import type { FieldErrors } from '../../domain/validation.js'
import { Field, Form, Notice } from '../form.js'
import { AdminLayout } from './admin-layout.js'

export function AdminLoginPage({ csrf, email = '', failure, notice }: { csrf: string; email?: string; failure?: string; notice?: string }) {
  const errors: FieldErrors = {}
  return (
    <AdminLayout title="Admin log in">
      {notice ? <Notice kind="info">{notice}</Notice> : null}
      {failure ? <Notice kind="error">{failure}</Notice> : null}
      <Form csrf={csrf} action="/admin/login">
        <Field name="email" label="Email" type="email" value={email} errors={errors} autocomplete="username" required autofocus />
        <Field name="password" label="Password" type="password" errors={errors} autocomplete="current-password" required />
        <button type="submit">Log in</button>
      </Form>
    </AdminLayout>
  )
}
