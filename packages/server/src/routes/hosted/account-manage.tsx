import { Hono } from 'hono'
import type { AppEnv } from '../../http/env.js'
import { userActor } from '../../http/events.js'
import type { Services } from '../../services/index.js'
import { outboxUrl } from '../../services/outbox.js'
import { field, listField } from '../../domain/validation.js'
import { DONE, MAILED, accountPage, backToAccount, openAccount, toAccounts, type Done } from './account-page.js'

/**
 * GET /accounts/:org_id, the page of one account (arAccountUrl links here), and its forms: the name, a
 * member's permissions, removing a member (owners and admins; admins can't change owners), leaving (every
 * member), closing (owners). Each form posts to its own path; a success redirects back with a notice, a
 * refusal shows the page again with the errors next to that form's fields.
 */
export function accountManageRoutes(services: Services) {
  const app = new Hono<AppEnv>()
  const manage = services.accountManagement

  app.get('/accounts/:org_id', async (c) => {
    const request = await openAccount(c, services)
    if (request instanceof Response) return request
    const done = c.req.query('done')
    const notice = done && Object.hasOwn(DONE, done) ? DONE[done as Done] : undefined
    return accountPage(c, services, request, { notice, outbox: done !== undefined && MAILED.has(done) ? outboxUrl(services, c.get('realm')) : null })
  })

  app.post('/accounts/:org_id/name', async (c) => {
    const request = await openAccount(c, services)
    if (request instanceof Response) return request
    const name = field(await c.req.parseBody(), 'account_name')
    const outcome = await manage.rename(c.get('realm'), request.access, name, userActor(c, request.user), services.clock())
    if (!outcome.ok) return accountPage(c, services, request, { failed: { form: 'name', errors: outcome.errors, values: { account_name: name } } })
    return backToAccount(c, request, 'name')
  })

  app.post('/accounts/:org_id/members/:mb_id/permissions', async (c) => {
    const request = await openAccount(c, services)
    if (request instanceof Response) return request
    const membershipId = c.req.param('mb_id')
    const permissions = listField(await c.req.parseBody(), 'permissions')
    const outcome = await manage.setPermissions(c.get('realm'), request.user, request.access.org.id, membershipId, permissions, userActor(c, request.user), services.clock())
    if (!outcome.ok) return accountPage(c, services, request, { failed: { form: `member:${membershipId}`, errors: outcome.errors, values: { permissions } } })
    return backToAccount(c, request, 'permissions')
  })

  app.post('/accounts/:org_id/members/:mb_id/remove', async (c) => {
    const request = await openAccount(c, services)
    if (request instanceof Response) return request
    const membershipId = c.req.param('mb_id')
    const outcome = await manage.remove(c.get('realm'), request.user, request.access.org.id, membershipId, userActor(c, request.user), services.clock())
    if (!outcome.ok) return accountPage(c, services, request, { failed: { form: `member:${membershipId}`, errors: outcome.errors, values: {} } })
    return backToAccount(c, request, 'removed')
  })

  app.post('/accounts/:org_id/leave', async (c) => {
    const request = await openAccount(c, services)
    if (request instanceof Response) return request
    const outcome = await manage.leave(c.get('realm'), request.user, request.access.org.id, userActor(c, request.user), services.clock())
    if (!outcome.ok) return accountPage(c, services, request, { failed: { form: 'leave', errors: outcome.errors, values: {} } })
    return toAccounts(c, request, 'left')
  })

  app.post('/accounts/:org_id/close', async (c) => {
    const request = await openAccount(c, services)
    if (request instanceof Response) return request
    const confirmed = field(await c.req.parseBody(), 'confirm') === 'yes'
    const outcome = await manage.close(c.get('realm'), request.user, request.access.org.id, confirmed, userActor(c, request.user), services.clock())
    if (!outcome.ok) return accountPage(c, services, request, { failed: { form: 'close', errors: outcome.errors, values: {} } })
    return toAccounts(c, request, 'closed')
  })

  return app
}
