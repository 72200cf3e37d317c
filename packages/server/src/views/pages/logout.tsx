import type { Realm } from '../../domain/realm.js'
import { Form } from '../form.js'
import { Layout } from '../layout.js'

/**
 * Asked when GET /logout doesn't name the browser's own session: a page of another site can load that URL
 * (an image, a frame) but can't press this button, whose POST needs the form's CSRF token.
 */
export function LogoutPage({ realm, csrf, email, redirectUri }: { realm: Realm; csrf: string; email: string; redirectUri: string | undefined }) {
  return (
    <Layout realm={realm} title={`Log out of ${realm.name}?`}>
      <p>
        You are logged in as <strong>{email}</strong>. Logging out ends your login here and in the apps that use it.
      </p>
      <Form csrf={csrf} action="/logout" hidden={{ redirect_uri: redirectUri }}>
        <button type="submit">Log out</button>
      </Form>
    </Layout>
  )
}
