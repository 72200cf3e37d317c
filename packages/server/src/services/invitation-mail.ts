import type { Org } from '../domain/account.js'
import type { Realm } from '../domain/realm.js'
import type { User } from '../domain/user.js'
import { secretLink, sendInBackground } from './account-mail.js'
import type { Services } from './index.js'
import { INVITATION_DAYS, type SentInvitation } from './invitations.js'
import { inert } from './mail-text.js'
import type { Mail } from './mailer.js'
import { emailProblem } from '../domain/validation.js'

/**
 * Who sent an invitation, as the invitee reads it: their name and address, or the address alone. Both are
 * typed by the inviter, and this mail goes to any address from the realm's: the name is made inert, so it
 * links nowhere. The address is confirmed and, as emailProblem now checks, has no `/` or `:` that would make
 * it read as a link; one stored before that rule is made inert too.
 */
function inviterText(inviter: User): string {
  const name = inert([inviter.firstName, inviter.lastName].filter(Boolean).join(' '))
  const email = emailProblem(inviter.email) === null ? inviter.email : inert(inviter.email)
  return name ? `${name} (${email})` : email
}

export function invitationMail(realm: Realm, to: string, org: Org, inviter: User, link: string): Mail {
  return {
    realmId: realm.id,
    to,
    subject: `You're invited to join ${inert(org.name)} at ${realm.name}`,
    text: [
      'Hello,',
      '',
      `${inviterText(inviter)} invited you to join the account "${inert(org.name)}" at ${realm.name}.`,
      'To accept, open this link:',
      '',
      link,
      '',
      `If you don't have a login at ${realm.name} yet, the link lets you create one with this address.`,
      `The link works for ${INVITATION_DAYS} days, and only once.`,
      '',
      "If you don't know who sent this, or don't want to join, ignore this email.",
      '',
      `-- ${realm.name}`,
      '',
    ].join('\n'),
  }
}

/** Mails an invitation's link (with the app's `redirect_uri` when the inviter's page carried one). */
export function sendInvitation(
  services: Pick<Services, 'mailer' | 'logger'>,
  realm: Realm,
  loginrocketUrl: string,
  sent: SentInvitation,
  org: Org,
  inviter: User,
  redirectUri?: string,
): void {
  const link = secretLink(loginrocketUrl, '/invitations/accept', sent.secret, redirectUri)
  sendInBackground(services, invitationMail(realm, sent.invitation.email, org, inviter, link))
}
