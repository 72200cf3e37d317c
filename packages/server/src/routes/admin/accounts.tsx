import { Hono, type Context } from 'hono'
import type { Org } from '../../domain/account.js'
import type { Realm } from '../../domain/realm.js'
import { AppError } from '../../errors/app-error.js'
import type { AppEnv } from '../../http/env.js'
import { adminActor } from '../../http/events.js'
import { checkAccountQuery } from '../../services/account-management.js'
import type { Services } from '../../services/index.js'
import { field, listField, type FieldErrors } from '../../domain/validation.js'
import { AdminAccountPage, AdminRemoveMemberPage, type AdminAccountFailure } from '../../views/pages/admin-account.js'
import { AdminAccountsPage } from '../../views/pages/admin-accounts.js'
import { realmOfPath, signedInAdmin } from './request.js'
import { adminUrl } from '../../views/admin-urls.js'
import { renderPage } from '../../views/render.js'

/** What a successful post says once the browser is back on the account (`?done=...`); never free text from the URL. */
const DONE = {
  name: 'The account’s name was saved.',
  permissions: 'The permissions were saved. The member’s app sees them when it next renews its token.',
  removed: 'The member was removed from the account.',
  revoked: 'The invitation was revoked; its link no longer works.',
  closed: 'The account is closed. Its members’ apps lose it when they next renew their tokens.',
  reopened: 'The account is open again, with its members as they were.',
} as const

type Done = keyof typeof DONE

/** Typed values shown again after an error are cut to this length (the fields' limits are far lower). */
const KEEP = 300
const EVENTS_SHOWN = 20

/**
 * A realm's accounts in the portal: the list (search, state, pages) and each account's page with its forms:
 * the name, a member's permissions, removing a member (after a confirmation page), revoking an invitation,
 * closing (confirmed by a tick) and reopening. A success redirects back with a notice and records an event
 * with the admin's id; a refusal shows the page again (422) with the error next to its form, nothing changed.
 */
export function adminAccountRoutes(services: Services) {
  const app = new Hono<AppEnv>()
  const manage = services.accountManagement

  async function open(c: Context<AppEnv>): Promise<{ realm: Realm; org: Org }> {
    const realm = await realmOfPath(c, services)
    return { realm, org: await manage.orgForAdmin(realm, c.req.param('org_id') ?? '') }
  }

  const back = (c: Context<AppEnv>, realm: Realm, org: Org, done: Done) => c.redirect(`${adminUrl.realm(realm.id).account(org.id)}?done=${done}`, 303)

  /** The account's page as it is now, with a notice or with the errors and typed values of the form that failed (422). */
  async function accountPage(c: Context<AppEnv>, realm: Realm, orgId: string, extra: { notice?: string; failed?: AdminAccountFailure } = {}) {
    // Read again: a refused change may have come after someone else's.
    const org = await manage.orgForAdmin(realm, orgId)
    const [members, invitations, events] = await Promise.all([
      manage.members(realm, org),
      services.invitations.open(realm, org),
      services.events.listNamed({ realmId: realm.id, orgId: org.id, limit: EVENTS_SHOWN }),
    ])
    const failed = extra.failed && {
      ...extra.failed,
      values: {
        account_name: extra.failed.values.account_name?.slice(0, KEEP),
        permissions: extra.failed.values.permissions?.map((p) => p.slice(0, KEEP)),
      },
    }
    return renderPage(c,
      <AdminAccountPage admin={signedInAdmin(c)} realm={realm} org={org} members={members} invitations={invitations} events={events} now={services.clock()} notice={extra.notice} failed={failed} />,
      failed ? 422 : 200,
    )
  }

  async function removePage(c: Context<AppEnv>, realm: Realm, org: Org, membershipId: string, errors: FieldErrors = {}) {
    const member = (await manage.members(realm, org)).find((m) => m.id === membershipId)
    if (!member) throw new AppError('not_found', 'That person is not a member of this account (any more).')
    const status = Object.keys(errors).length > 0 ? 422 : 200
    return renderPage(c, <AdminRemoveMemberPage admin={signedInAdmin(c)} realm={realm} org={org} member={member} errors={errors} />, status)
  }

  app.get('/admin/realms/:id/accounts', async (c) => {
    const realm = await realmOfPath(c, services)
    const values = { q: (c.req.query('q') ?? '').trim(), state: c.req.query('state') ?? '', page: c.req.query('page') ?? '' }
    const shown = { q: values.q.slice(0, KEEP), state: values.state.slice(0, KEEP) }
    const query = checkAccountQuery(values)
    if (!query.ok) return renderPage(c, <AdminAccountsPage admin={signedInAdmin(c)} realm={realm} list={null} values={shown} errors={query.errors} />, 422)
    const list = await manage.listForAdmin(realm, query.value)
    return renderPage(c, <AdminAccountsPage admin={signedInAdmin(c)} realm={realm} list={list} values={{ q: list.q, state: list.state }} />)
  })

  app.get('/admin/realms/:id/accounts/:org_id', async (c) => {
    const { realm, org } = await open(c)
    const done = c.req.query('done')
    return accountPage(c, realm, org.id, { notice: done && Object.hasOwn(DONE, done) ? DONE[done as Done] : undefined })
  })

  app.post('/admin/realms/:id/accounts/:org_id/name', async (c) => {
    const { realm, org } = await open(c)
    const name = field(await c.req.parseBody(), 'account_name')
    const outcome = await manage.renameAsAdmin(realm, org.id, name, adminActor(c), services.clock())
    if (!outcome.ok) return accountPage(c, realm, org.id, { failed: { form: 'name', errors: outcome.errors, values: { account_name: name } } })
    return back(c, realm, org, 'name')
  })

  app.post('/admin/realms/:id/accounts/:org_id/members/:mb_id/permissions', async (c) => {
    const { realm, org } = await open(c)
    const membershipId = c.req.param('mb_id')
    const permissions = listField(await c.req.parseBody(), 'permissions')
    const outcome = await manage.setPermissionsAsAdmin(realm, org.id, membershipId, permissions, adminActor(c), services.clock())
    if (!outcome.ok) return accountPage(c, realm, org.id, { failed: { form: `member:${membershipId}`, errors: outcome.errors, values: { permissions } } })
    return back(c, realm, org, 'permissions')
  })

  app.get('/admin/realms/:id/accounts/:org_id/members/:mb_id/remove', async (c) => {
    const { realm, org } = await open(c)
    return removePage(c, realm, org, c.req.param('mb_id'))
  })

  app.post('/admin/realms/:id/accounts/:org_id/members/:mb_id/remove', async (c) => {
    const { realm, org } = await open(c)
    const membershipId = c.req.param('mb_id')
    const confirmed = field(await c.req.parseBody(), 'confirm') === 'yes'
    const outcome = await manage.removeAsAdmin(realm, org.id, membershipId, confirmed, adminActor(c), services.clock())
    if (!outcome.ok) return removePage(c, realm, org, membershipId, outcome.errors)
    return back(c, realm, org, 'removed')
  })

  app.post('/admin/realms/:id/accounts/:org_id/invitations/:nvt_id/revoke', async (c) => {
    const { realm, org } = await open(c)
    const id = c.req.param('nvt_id')
    if (!(await services.invitations.revokeIn(realm, org, id, adminActor(c), services.clock()))) {
      throw new AppError('not_found', 'That invitation was accepted or revoked meanwhile.')
    }
    return back(c, realm, org, 'revoked')
  })

  app.post('/admin/realms/:id/accounts/:org_id/close', async (c) => {
    const { realm, org } = await open(c)
    const confirmed = field(await c.req.parseBody(), 'confirm') === 'yes'
    const outcome = await manage.closeAsAdmin(realm, org.id, confirmed, adminActor(c), services.clock())
    if (!outcome.ok) return accountPage(c, realm, org.id, { failed: { form: 'close', errors: outcome.errors, values: {} } })
    return back(c, realm, org, 'closed')
  })

  app.post('/admin/realms/:id/accounts/:org_id/reopen', async (c) => {
    const { realm, org } = await open(c)
    await manage.reopenAsAdmin(realm, org.id, adminActor(c), services.clock())
    return back(c, realm, org, 'reopened')
  })

  return app
}
