import type { Realm } from '../../domain/realm.js'
import type { FieldErrors } from '../../domain/validation.js'
import { Field, Form, Notice } from '../form.js'
import { Layout } from '../layout.js'

export interface LoginPageProps {
  realm: Realm
  csrf: string
  email?: string
  errors?: FieldErrors
  failure?: string
  notice?: string
  /** Query string that carries `redirect_uri` (and friends) to the links on this page. */
  carry: string
  hidden: Record<string, string | undefined>
}

export function LoginPage({ realm, csrf, email = '', errors = {}, failure, notice, carry, hidden }: LoginPageProps) {
  return (
    <Layout realm={realm} title="Log in">
      {notice ? <Notice kind="info">{notice}</Notice> : null}
      {failure ? <Notice kind="error">{failure}</Notice> : null}
      <Form csrf={csrf} action={`/login${carry}`} hidden={hidden}>
        <Field name="email" label="Email" type="email" value={email} errors={errors} autocomplete="username" required autofocus />
        <Field name="password" label="Password" type="password" errors={errors} autocomplete="current-password" required />
        <button type="submit">Log in</button>
      </Form>
      <nav class="links" aria-label="Other options">
        <a href={`/forgot${carry}`}>Forgot your password?</a>
        {realm.settings.signup === 'open' ? <a href={`/signup${carry}`}>Create an account</a> : null}
      </nav>
    </Layout>
  )
}
