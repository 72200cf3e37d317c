import type { Realm } from '../../domain/realm.js'
import type { FieldErrors } from '../../domain/validation.js'
import { Field, Form } from '../form.js'
import { Layout } from '../layout.js'
import { OutboxNote } from '../outbox-note.js'

export interface ForgotPageProps {
  realm: Realm
  csrf: string
  email?: string
  errors?: FieldErrors
  carry: string
  hidden: Record<string, string | undefined>
}

/** Asks for the email address to send a reset link to. */
export function ForgotPage({ realm, csrf, email = '', errors = {}, carry, hidden }: ForgotPageProps) {
  return (
    <Layout realm={realm} title="Reset your password">
      <p>Enter the email address of your account, and we’ll send you a link to choose a new password.</p>
      <Form csrf={csrf} action={`/forgot${carry}`} hidden={hidden}>
        <Field name="email" label="Email" type="email" value={email} errors={errors} autocomplete="username" required autofocus />
        <button type="submit">Send the link</button>
      </Form>
      <nav class="links" aria-label="Other options">
        <a href={`/login${carry}`}>Back to log in</a>
      </nav>
    </Layout>
  )
}

/** The one answer to a reset request, whether or not an account has that address. */
export function ForgotSentPage({ realm, carry, minutes, outbox }: { realm: Realm; carry: string; minutes: number; outbox: string | null }) {
  return (
    <Layout realm={realm} title="Check your email">
      <div class="message">
        <p>If an account exists for that address, we’ve sent a link to it to reset the password.</p>
        <p>The link works for {minutes} minutes. If nothing arrives, check your spam folder, or try again.</p>
      </div>
      <OutboxNote url={outbox} />
      <nav class="links" aria-label="Other options">
        <a href={`/forgot${carry}`}>Send another link</a>
        <a href={`/login${carry}`}>Back to log in</a>
      </nav>
    </Layout>
  )
}

export interface ResetPageProps {
  realm: Realm
  csrf: string
  /** The link's secret, posted back with the form. */
  token: string
  /** The account's email, for password managers. */
  email: string
  errors?: FieldErrors
  hidden: Record<string, string | undefined>
}

/** The form behind a reset link: one new password. */
export function ResetPage({ realm, csrf, token, email, errors = {}, hidden }: ResetPageProps) {
  return (
    <Layout realm={realm} title="Choose a new password">
      <p>
        Choose a new password for <strong>{email}</strong>. Other devices where you are logged in will be logged out.
      </p>
      <Form csrf={csrf} action="/reset" hidden={{ ...hidden, token }}>
        {/* Tells password managers which account the new password is for; never posted. */}
        <input type="email" autocomplete="username" value={email} hidden readonly aria-hidden="true" tabindex={-1} />
        <Field name="new_password" label="New password" type="password" errors={errors} autocomplete="new-password" required autofocus hint="At least 8 characters." />
        <button type="submit">Set the new password</button>
      </Form>
    </Layout>
  )
}
