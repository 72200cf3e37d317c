import { Hono } from 'hono'
import { AppError } from '../../errors/app-error.js'
import type { AppEnv } from '../../http/env.js'
import { throttled } from '../../http/throttle.js'
import { invitationMailRule } from '../../http/throttle-rules.js'
import { userActor } from '../../http/events.js'
import type { Services } from '../../services/index.js'
import { sendInvitation } from '../../services/invitation-mail.js'
import { field, listField } from '../../domain/validation.js'
import { accountPage, backToAccount, openAccount } from './account-page.js'

const GONE = 'That invitation was accepted or revoked meanwhile.'

/**
 * An account's invitations, for its owners and admins: POST /accounts/:org_id/invitations invites an email
 * address with the ticked permissions; /invitations/:id/resend mails a new link (the old one stops working);
 * /invitations/:id/revoke voids it. The mail carries the page's redirect_uri, so the invitee lands in the app.
 */
export function accountInvitationRoutes(services: Services) {
  const app = new Hono<AppEnv>()

  app.post('/accounts/:org_id/invitations', throttled(invitationMailRule), async (c) => {
    const request = await openAccount(c, services)
    if (request instanceof Response) return request
    const realm = c.get('realm')
    const form = await c.req.parseBody()
    const values = { email: field(form, 'email'), permissions: listField(form, 'permissions') }
    const outcome = await services.invitations.create(realm, request.access, request.user, values, userActor(c, request.user), services.clock())
    if (!outcome.ok) return accountPage(c, services, request, { failed: { form: 'invite', errors: outcome.errors, values } })
    sendInvitation(services, realm, c.get('loginrocketUrl'), outcome.value, request.access.org, request.user, request.flow.hidden.redirect_uri)
    return backToAccount(c, request, 'invited')
  })

  app.post('/accounts/:org_id/invitations/:id/resend', throttled(invitationMailRule), async (c) => {
    const request = await openAccount(c, services)
    if (request instanceof Response) return request
    const realm = c.get('realm')
    const sent = await services.invitations.resend(realm, request.access, request.user, c.req.param('id'), services.clock())
    if (!sent) throw new AppError('not_found', GONE)
    sendInvitation(services, realm, c.get('loginrocketUrl'), sent, request.access.org, request.user, request.flow.hidden.redirect_uri)
    return backToAccount(c, request, 'resent')
  })

  app.post('/accounts/:org_id/invitations/:id/revoke', async (c) => {
    const request = await openAccount(c, services)
    if (request instanceof Response) return request
    const id = c.req.param('id')
    if (!(await services.invitations.revoke(c.get('realm'), request.access, id, userActor(c, request.user), services.clock()))) throw new AppError('not_found', GONE)
    return backToAccount(c, request, 'revoked')
  })

  return app
}
