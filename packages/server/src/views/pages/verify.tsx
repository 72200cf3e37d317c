import type { Realm } from '../../domain/realm.js'
import { Form, Notice } from '../form.js'
import { Layout } from '../layout.js'
import { OutboxNote } from '../outbox-note.js'

export interface CheckEmailPageProps {
  realm: Realm
  csrf: string
  email: string
  /** Why the page shows: just signed up, tried to log in unconfirmed, or asked for the link again. */
  reason: 'signup' | 'login' | 'resent'
  carry: string
  hidden: Record<string, string | undefined>
  /** The admin portal's outbox while mails go nowhere else, or null. */
  outbox: string | null
}

/** Stands between an unconfirmed user and the app when the realm requires a confirmed email address. */
export function CheckEmailPage({ realm, csrf, email, reason, carry, hidden, outbox }: CheckEmailPageProps) {
  return (
    <Layout realm={realm} title="Check your email">
      {reason === 'resent' ? <Notice kind="info">If this address still needs confirming, we’ve sent a new link to it.</Notice> : null}
      <div class="message">
        {reason === 'login' ? (
          <p>
            Your email address <strong>{email}</strong> isn’t confirmed yet. Open the link we sent to it, then log in.
          </p>
        ) : (
          <p>
            We’ve sent a link to <strong>{email}</strong>. Open it to confirm your address, then log in.
          </p>
        )}
        <p>If nothing arrives within a few minutes, check your spam folder, or send the link again.</p>
      </div>
      <OutboxNote url={outbox} />
      <Form csrf={csrf} action="/verify/resend" hidden={{ ...hidden, email }}>
        <button type="submit" class="secondary">
          Send the link again
        </button>
      </Form>
      <nav class="links" aria-label="Other options">
        <a href={`/login${carry}`}>Back to log in</a>
      </nav>
    </Layout>
  )
}
