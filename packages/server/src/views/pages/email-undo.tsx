import type { Realm } from '../../domain/realm.js'
import { Form } from '../form.js'
import { Layout } from '../layout.js'

/** What the undo link opens: a confirmation only, since mail scanners open links too and a GET changes nothing. */
export function EmailUndoPage({ realm, csrf, token, email, current }: { realm: Realm; csrf: string; token: string; email: string; current: string }) {
  return (
    <Layout realm={realm} title="Undo the change of email address">
      <p>
        The email address of your account was changed from <strong>{email}</strong> to <strong>{current}</strong>. If you didn’t do this, put your address
        back: everyone using the account will be logged out, and you will choose a new password.
      </p>
      <Form csrf={csrf} action="/email/undo" hidden={{ token }}>
        <button type="submit">Put back {email}</button>
      </Form>
    </Layout>
  )
}
