import type { Realm } from '../domain/realm.js'
import type { User } from '../domain/user.js'
import type { Services } from './index.js'
import { LIFETIME_MS } from './links.js'
import type { Mail } from './mailer.js'

/** `30 minutes`, `24 hours`: a link's lifetime as a person reads it. */
function lifetimeText(ms: number): string {
  const minutes = Math.round(ms / 60_000)
  if (minutes % 60 !== 0) return `${minutes} minutes`
  const hours = minutes / 60
  return hours === 1 ? '1 hour' : `${hours} hours`
}

/** A link to a LoginRocket page with a single-use secret, and the app's `redirect_uri` when one was carried. */
export function secretLink(loginrocketUrl: string, path: '/reset' | '/verify' | '/invitations/accept' | '/email/undo', secret: string, redirectUri?: string): string {
  const url = new URL(path, loginrocketUrl)
  url.searchParams.set('token', secret)
  if (redirectUri) url.searchParams.set('redirect_uri', redirectUri)
  return url.href
}

function passwordResetMail(realm: Realm, to: string, link: string): Mail {
  return {
    realmId: realm.id,
    to,
    subject: `Reset your ${realm.name} password`,
    text: [
      'Hello,',
      '',
      `Someone asked to reset the password of the ${realm.name} account for ${to}.`,
      'To choose a new password, open this link:',
      '',
      link,
      '',
      `The link works for ${lifetimeText(LIFETIME_MS.password_reset)}, and only once.`,
      '',
      "If you didn't ask to reset your password, ignore this email: your password stays as it is.",
      '',
      `-- ${realm.name}`,
      '',
    ].join('\n'),
  }
}

export function verificationMail(realm: Realm, to: string, link: string): Mail {
  return {
    realmId: realm.id,
    to,
    subject: `Confirm your email address for ${realm.name}`,
    text: [
      'Hello,',
      '',
      `Please confirm that ${to} is your email address for ${realm.name} by opening this link:`,
      '',
      link,
      '',
      `The link works for ${lifetimeText(LIFETIME_MS.email_verification)}, and only once.`,
      '',
      `If you didn't create an account or change your email address at ${realm.name}, ignore this email.`,
      '',
      `-- ${realm.name}`,
      '',
    ].join('\n'),
  }
}

/**
 * Hands a mail to the mailer without waiting for it. The answer a person sees then takes as long whether or
 * not a mail was sent (so it does not tell whether an account exists), and a slow mail server does not hold
 * the page up. The mailer records delivery failures itself; only a failure to record one lands here.
 */
export function sendInBackground(services: Pick<Services, 'mailer' | 'logger'>, mail: Mail): void {
  services.mailer.send(mail).catch((error: unknown) => {
    services.logger.error({ err: error, subject: mail.subject }, 'mail could not be sent or recorded')
  })
}

/**
 * Sends a link that confirms `email` for `user`: their signup address, or the new one of a profile change.
 * A newer link voids the user's older verification links.
 */
export async function sendVerificationLink(
  services: Pick<Services, 'links' | 'mailer' | 'logger'>,
  realm: Realm,
  loginrocketUrl: string,
  user: User,
  email: string,
  now: Date,
  redirectUri?: string,
): Promise<void> {
  const secret = await services.links.create('email_verification', { realmId: realm.id, userId: user.id, email }, now)
  mailVerificationLink(services, realm, loginrocketUrl, email, secret, redirectUri)
}

/** Mails a verification link already made (a signup makes it in its transaction, and mails it after). */
export function mailVerificationLink(
  services: Pick<Services, 'mailer' | 'logger'>,
  realm: Realm,
  loginrocketUrl: string,
  email: string,
  secret: string,
  redirectUri?: string,
): void {
  sendInBackground(services, verificationMail(realm, email, secretLink(loginrocketUrl, '/verify', secret, redirectUri)))
}

/** Sends a password reset link (single use, 30 minutes); a newer link voids the user's older ones. */
export async function sendPasswordReset(
  services: Pick<Services, 'links' | 'mailer' | 'logger'>,
  realm: Realm,
  loginrocketUrl: string,
  user: User,
  now: Date,
  redirectUri?: string,
): Promise<void> {
  const secret = await services.links.create('password_reset', { realmId: realm.id, userId: user.id, email: user.email }, now)
  sendInBackground(services, passwordResetMail(realm, user.email, secretLink(loginrocketUrl, '/reset', secret, redirectUri)))
}

/** True when the realm holds this user's tokens back until their email address is confirmed. */
export function mustVerifyFirst(realm: Realm, user: User): boolean {
  return realm.settings.email_verification === 'required' && user.emailVerifiedAt === null
}
