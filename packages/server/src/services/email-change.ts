import type { Realm } from '../domain/realm.js'
import { normalizeEmail, type User } from '../domain/user.js'
import { secretLink } from './account-mail.js'
import { LIFETIME_MS, type LinkService } from './links.js'
import type { Mailer } from './mailer.js'
import { checkPassword, PASSWORD_MAX } from './passwords.js'
import type { UserService } from './users.js'
import { cleanEmail, emailProblem, type FieldErrors, type Outcome } from '../domain/validation.js'

export interface EmailChangeDeps {
  users: UserService
  links: LinkService
  mailer: Mailer
}

export interface EmailChangeInput {
  /** The new address, as typed. */
  email: string
  /** The user's current password, which a change of address requires. */
  password: string
  /** The app's redirect_uri, carried into the link so the confirmation page can lead back to the app. */
  redirectUri?: string | undefined
}

/**
 * Asks for a change of email address. Nothing changes yet: the new address gets an `email_verification`
 * link whose token names it (the /verify page makes it the user's verified email), and the old address is
 * told that a change was requested. Errors are keyed by the profile form's fields (`email`, `email_password`).
 * Whether another account uses the address is only said to someone who gave the right password.
 */
export async function requestEmailChange(
  deps: EmailChangeDeps,
  realm: Realm,
  loginrocketUrl: string,
  user: User,
  input: EmailChangeInput,
  now: Date,
): Promise<Outcome<{ email: string }>> {
  const email = cleanEmail(input.email)
  const errors: FieldErrors = {}
  const problem = email === '' ? 'Enter your new email address.' : emailProblem(email)
  if (problem) errors.email = problem
  else if (normalizeEmail(email) === normalizeEmail(user.email)) errors.email = 'This is already your email address.'

  const passwordOk =
    input.password !== '' && input.password.length <= PASSWORD_MAX && (await checkPassword(user.passwordHash, input.password))
  if (!passwordOk) errors.email_password = input.password === '' ? 'Enter your current password.' : 'That is not your current password.'
  else if (!errors.email && (await deps.users.byEmail(realm, email))) errors.email = 'Another account already uses this email address.'
  if (Object.keys(errors).length > 0) return { ok: false, errors }

  const secret = await deps.links.create('email_verification', { realmId: realm.id, userId: user.id, email }, now)
  const link = secretLink(loginrocketUrl, '/verify', secret, input.redirectUri)
  await deps.mailer.send({
    realmId: realm.id,
    to: email,
    subject: `Confirm your new email address for ${realm.name}`,
    text: [
      'Hello,',
      '',
      `You asked to use this address for your ${realm.name} account. To confirm, open this link within ${LIFETIME_MS.email_verification / 3_600_000} hours:`,
      '',
      link,
      '',
      'Until then, your account keeps its current email address.',
      'If you did not ask for this, ignore this email: nothing will change.',
    ].join('\n'),
  })
  await deps.mailer.send({
    realmId: realm.id,
    to: user.email,
    subject: `A change of email address was requested for your ${realm.name} account`,
    text: [
      'Hello,',
      '',
      `Someone logged in to your ${realm.name} account asked to change its email address from ${user.email} to ${email}.`,
      'The change happens only when the link sent to the new address is opened.',
      '',
      `If this was not you, log in and change your password now: ${loginrocketUrl}/profile`,
    ].join('\n'),
  })
  return { ok: true, value: { email } }
}
