import type { Realm } from '../domain/realm.js'
import type { User } from '../domain/user.js'
import { sendInBackground } from './account-mail.js'
import type { Services } from './index.js'
import type { Mail } from './mailer.js'

/** Tells the owner that someone is guessing their password (see `login_account` in services/throttle.ts). */
export function lockoutMail(realm: Realm, to: string, forgotLink: string): Mail {
  return {
    realmId: realm.id,
    to,
    subject: `Someone is trying to log in to your ${realm.name} account`,
    text: [
      'Hello,',
      '',
      `Someone has been trying to log in to the ${realm.name} account for ${to} with wrong passwords, many times.`,
      'To protect it, logins to it are paused for up to an hour.',
      '',
      "If it wasn't you, you don't need to do anything: your password still works once the pause ends, and",
      "nobody has logged in with it. If your password is one you use elsewhere, or you'd like to log in right",
      'away, choose a new one here (this also ends the pause):',
      '',
      forgotLink,
      '',
      'We send this at most once an hour.',
      '',
      `-- ${realm.name}`,
      '',
    ].join('\n'),
  }
}

/** Mails the owner of an account whose failed logins hit the per-account limit; never throws. */
export function sendLockoutWarning(services: Pick<Services, 'mailer' | 'logger'>, realm: Realm, loginrocketUrl: string, user: User): void {
  sendInBackground(services, lockoutMail(realm, user.email, new URL('/forgot', loginrocketUrl).href))
}
