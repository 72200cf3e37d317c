import type { Realm } from '../domain/realm.js'
import type { Mail } from './mailer.js'

/*
 * The mails that tell a user their credentials changed. They hold only the realm's name, email addresses and
 * our own links: nothing a user typed that could smuggle in a link of theirs, and no secret but the undo link's.
 */

/** After a new password (profile, reset link, admin): who didn't do it resets it again. */
export function passwordChangedMail(realm: Realm, to: string, forgotUrl: string): Mail {
  return {
    realmId: realm.id,
    to,
    subject: `Your ${realm.name} password was changed`,
    text: [
      'Hello,',
      '',
      `The password of the ${realm.name} account for ${to} was just changed. Everywhere else the account was logged in, it has been logged out.`,
      '',
      "If this wasn't you, reset your password now:",
      '',
      forgotUrl,
      '',
      `-- ${realm.name}`,
      '',
    ].join('\n'),
  }
}

/**
 * To the former address after an email change: with the link that undoes it when the user changed it
 * themselves, without one when an admin did (the admin's change stands; the user asks them).
 */
export function emailChangedMail(realm: Realm, to: string, newEmail: string, undo: { url: string; days: number } | null): Mail {
  const lines = undo
    ? [
        "If this wasn't you, someone else has your account. Open this link to put your address back, log everyone out and choose a new password:",
        '',
        undo.url,
        '',
        `The link works for ${undo.days} days, and only once.`,
      ]
    : ['An administrator of the site made this change. If you did not expect it, contact them.']
  return {
    realmId: realm.id,
    to,
    subject: `The email address of your ${realm.name} account was changed`,
    text: [
      'Hello,',
      '',
      `The email address of your ${realm.name} account was changed from ${to} to ${newEmail}. Mail about the account now goes to the new address.`,
      '',
      ...lines,
      '',
      `-- ${realm.name}`,
      '',
    ].join('\n'),
  }
}
