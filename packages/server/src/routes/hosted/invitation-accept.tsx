import { Hono, type Context } from 'hono'
import type { LoginSession } from '../../domain/session.js'
import type { User } from '../../domain/user.js'
import type { AppEnv } from '../../http/env.js'
import type { Services } from '../../services/index.js'
import { INVITATION_DAYS, type AcceptOutcome, type FoundInvitation } from '../../services/invitations.js'
import { MessagePage } from '../../views/pages/message.js'
import { accountPath } from './account-page.js'
import { browserLogin, sendBack } from './flow.js'
import { readFlow, type Flow } from '../../http/flow.js'
import { renderPage } from '../../views/render.js'

/** The accept page's own URL for a secret, keeping the app's redirect_uri: where a login comes back to. */
export function acceptPath(secret: string, flow: Flow): string {
  const query = new URLSearchParams({ token: secret })
  if (flow.hidden.redirect_uri) query.set('redirect_uri', flow.hidden.redirect_uri)
  return `/invitations/accept?${query}`
}

/** Why an invitation link can't be used, as a page (410): unknown or replaced, accepted, expired, revoked, account gone. */
export function unusableInvitation(c: Context<AppEnv>, found: FoundInvitation | null, flow: Flow): Response | Promise<Response> {
  const realm = c.get('realm')
  const [title, text]: [string, string] = !found
    ? ['This invitation link doesn’t work', 'It may have been replaced by a newer invitation: only the newest link sent to you works. Ask whoever invited you to send it again.']
    : found.state === 'accepted'
      ? ['This invitation has been accepted', 'It has been used already. If it was you, just log in.']
      : found.state === 'expired'
        ? ['This invitation has expired', `Invitations work for ${INVITATION_DAYS} days. Ask whoever invited you to send it again.`]
        : found.state === 'revoked'
          ? ['This invitation was withdrawn', 'Whoever invited you has revoked it. Ask them if you think this is a mistake.']
          : realm.settings.org_mode !== 'multi_user'
            ? ['Invitations can’t be used here', 'Accounts here are personal: they can’t have other members, so this invitation can’t be accepted.']
            : ['This account is no longer available', 'The account you were invited to has been closed.']
  return renderPage(c,
    <MessagePage realm={realm} title={title} link={{ href: `/login${flow.carry}`, text: 'Log in' }}>
      <p>{text}</p>
    </MessagePage>,
    410,
  )
}

/**
 * After joining: back to the app with a token for the new account when the link carried a redirect_uri,
 * else to the account's page, which says so.
 */
export function joined(c: Context<AppEnv>, services: Services, flow: Flow, user: User, session: LoginSession, outcome: AcceptOutcome & { ok: true }) {
  if (flow.redirectUri) return sendBack(c, services, flow, user, session)
  return c.redirect(`${accountPath(outcome.membership.orgId)}?done=joined`, 303)
}

/**
 * GET /invitations/accept?token=, the link in an invitation mail:
 * - logged in with the invited address: accepts at once (the account becomes the current one);
 * - logged in with another address: says so, and changes nothing;
 * - logged out, and the address has a login here: asks to log in, then comes back here and accepts;
 * - logged out, and the address is new here: on to signup, with the address filled in.
 */
export function invitationAcceptRoutes(services: Services) {
  const app = new Hono<AppEnv>()

  app.get('/invitations/accept', async (c) => {
    const flow = await readFlow(c)
    const realm = c.get('realm')
    const secret = c.req.query('token') ?? ''
    const found = await services.invitations.find(realm, secret, services.clock())
    if (!found || found.state !== 'pending') return unusableInvitation(c, found, flow)
    const { invitation, org } = found
    const orgName = org?.name ?? ''

    const current = await browserLogin(c, services)
    if (current) {
      const outcome = await services.invitations.accept(realm, secret, current.user, services.clock(), c.get('clientIp'))
      if (outcome.ok) return joined(c, services, flow, current.user, current.session, outcome)
      if (outcome.reason === 'unusable') return unusableInvitation(c, outcome.found, flow)
      const relogin = `/login?${new URLSearchParams({ prompt: 'login', return_to: acceptPath(secret, flow) })}`
      return renderPage(c,
        <MessagePage realm={realm} title="This invitation is for someone else" link={{ href: relogin, text: `Log in as ${invitation.email}` }}>
          <p>
            The invitation to join <strong>{orgName}</strong> was sent to <strong>{invitation.email}</strong>, but you are logged in as{' '}
            <strong>{current.user.email}</strong>. Nothing has changed for your login.
          </p>
          <p>To accept it, log in with the address it was sent to, or ask for an invitation to your own address.</p>
        </MessagePage>,
        403,
      )
    }

    if (!(await services.users.byEmail(realm, invitation.email))) {
      const query = new URLSearchParams({ invitation: secret })
      if (flow.hidden.redirect_uri) query.set('redirect_uri', flow.hidden.redirect_uri)
      return c.redirect(`/signup?${query}`, 303)
    }
    const login = `/login?${new URLSearchParams({ return_to: acceptPath(secret, flow) })}`
    return renderPage(c,
      <MessagePage realm={realm} title={`Join ${orgName}`} link={{ href: login, text: 'Log in to accept' }}>
        <p>
          You’re invited to join <strong>{orgName}</strong>. Log in as <strong>{invitation.email}</strong> to accept.
        </p>
      </MessagePage>,
    )
  })

  return app
}
