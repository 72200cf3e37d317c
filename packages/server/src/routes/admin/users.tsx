import { Hono, type Context } from 'hono'
import type { Realm } from '../../domain/realm.js'
import type { User } from '../../domain/user.js'
import { AppError } from '../../errors/app-error.js'
import type { AppEnv } from '../../http/env.js'
import { adminActor, recordAdminEvent } from '../../http/events.js'
import { sendPasswordReset, sendVerificationLink } from '../../services/account-mail.js'
import { isOwner } from '../../domain/permissions.js'
import { EDIT_FIELDS, pageNumber, type UserEdit } from '../../services/admin-users.js'
import type { EventInput } from '../../domain/event.js'
import type { Services } from '../../services/index.js'
import { field, type FieldErrors } from '../../domain/validation.js'
import { AdminUserDeletePage, AdminUserPage, type DeleteImpact, type UserPageProps } from '../../views/pages/admin-user.js'
import { AdminUsersPage } from '../../views/pages/admin-users.js'
import { realmOfPath, realmRow, signedInAdmin } from './request.js'
import { adminUrl } from '../../views/admin-urls.js'
import { renderPage } from '../../views/render.js'

/** What the user page says after an action (`?done=...`); never free text from the URL. */
const DONE = {
  saved: 'Changes saved.',
  disabled: 'The user is disabled, and was logged out everywhere.',
  enabled: 'The user is enabled: they can log in again.',
  revoked: 'The session was revoked.',
  revoked_all: 'Every session of the user was revoked.',
  reset_sent: 'A password reset email is on its way to the user.',
  verification_sent: 'A confirmation email is on its way to the user.',
} as const

/** Typed values shown again after an error are cut to this length (the fields' limits are far lower). */
const KEEP = 300

/**
 * A realm's users in the admin portal: the searchable list, each user's page (profile, accounts, sessions,
 * recent events), and the admin's actions on them, each recorded in the event log with the admin's id.
 */
export function adminUserRoutes(services: Services) {
  const app = new Hono<AppEnv>()

  /** The realm and the user the URL names; another realm's user is as unknown as a made-up id. */
  async function target(c: Context<AppEnv>): Promise<{ realm: Realm; user: User }> {
    const realm = await realmOfPath(c, services)
    const user = await services.adminUsers.byId(realm, c.req.param('user_id') ?? '')
    if (!user) throw new AppError('not_found', 'This realm has no user with this ID.')
    return { realm, user }
  }

  const record = (c: Context<AppEnv>, realm: Realm, user: User, event: Pick<EventInput, 'type' | 'sessionId' | 'data'>) =>
    recordAdminEvent(c, services, { ...event, realmId: realm.id, userId: user.id })

  const backToUser = (c: Context<AppEnv>, realm: Realm, user: User, done: keyof typeof DONE) =>
    c.redirect(`${adminUrl.realm(realm.id).user(user.id)}?done=${done}`, 303)

  async function userPage(c: Context<AppEnv>, realm: Realm, user: User, extra: Pick<UserPageProps, 'notice' | 'edit'>, status: 200 | 422 = 200) {
    const now = services.clock()
    const [memberships, sessions, events] = await Promise.all([
      services.accounts.list(realm, user),
      services.adminUsers.liveSessions(realm, user, now),
      services.events.listNamed({ realmId: realm.id, userId: user.id, limit: 20 }),
    ])
    const shown = { ...realmRow(services, realm), nameField: realm.settings.name_field, usernameField: realm.settings.username_field }
    return renderPage(c,
      <AdminUserPage admin={signedInAdmin(c)} realm={shown} user={user} memberships={memberships} sessions={sessions} events={events} notice={extra.notice} edit={extra.edit} />,
      status,
    )
  }

  /** The accounts a deletion removes (no other member) and those it leaves without an owner. */
  async function deleteImpact(realm: Realm, user: User): Promise<DeleteImpact> {
    const impact: DeleteImpact = { deleted: [], ownerless: [] }
    for (const membership of await services.accounts.list(realm, user)) {
      const members = await services.accountManagement.members(realm, membership.org)
      const others = members.filter((m) => m.userId !== user.id)
      if (others.length === 0) impact.deleted.push(membership)
      else if (isOwner(membership) && !others.some(isOwner)) impact.ownerless.push(membership)
    }
    return impact
  }

  app.get('/admin/realms/:id/users', async (c) => {
    const realm = await realmOfPath(c, services)
    const query = (c.req.query('q') ?? '').slice(0, KEEP)
    const result = await services.adminUsers.search(realm, query, pageNumber(c.req.query('page')))
    return renderPage(c, <AdminUsersPage admin={signedInAdmin(c)} realm={realmRow(services, realm)} query={query.trim()} result={result} deleted={c.req.query('deleted') === '1'} />)
  })

  app.get('/admin/realms/:id/users/:user_id', async (c) => {
    const { realm, user } = await target(c)
    const done = c.req.query('done')
    return userPage(c, realm, user, { notice: done && Object.hasOwn(DONE, done) ? DONE[done as keyof typeof DONE] : undefined })
  })

  app.post('/admin/realms/:id/users/:user_id/edit', async (c) => {
    const { realm, user } = await target(c)
    const form = await c.req.parseBody()
    const input = Object.fromEntries(EDIT_FIELDS.map((name) => [name, field(form, name).slice(0, KEEP)])) as unknown as UserEdit
    const outcome = await services.adminUsers.update(realm, user, input, adminActor(c), services.clock())
    if (!outcome.ok) return userPage(c, realm, user, { edit: { values: { ...input }, errors: outcome.errors } }, 422)
    return backToUser(c, realm, user, 'saved')
  })

  /** Disables or enables; disabling ends every live session, each recorded as deleted by an admin. */
  async function setState(c: Context<AppEnv>, state: User['state']) {
    const { realm, user } = await target(c)
    await services.adminUsers.setState(realm, user, state, adminActor(c), services.clock())
    return backToUser(c, realm, user, state === 'active' ? 'enabled' : 'disabled')
  }
  app.post('/admin/realms/:id/users/:user_id/disable', (c) => setState(c, 'inactive'))
  app.post('/admin/realms/:id/users/:user_id/enable', (c) => setState(c, 'active'))

  app.post('/admin/realms/:id/users/:user_id/sessions/revoke-all', async (c) => {
    const { realm, user } = await target(c)
    await services.adminUsers.revokeAll(realm, user, adminActor(c), services.clock())
    return backToUser(c, realm, user, 'revoked_all')
  })

  app.post('/admin/realms/:id/users/:user_id/sessions/:session_id/revoke', async (c) => {
    const { realm, user } = await target(c)
    const sessionId = c.req.param('session_id')
    if (!(await services.adminUsers.revokeSession(realm, user, sessionId, adminActor(c), services.clock()))) {
      throw new AppError('not_found', 'This user has no live session with this ID: it may have ended already.')
    }
    return backToUser(c, realm, user, 'revoked')
  })

  // The hosted pages' mails and links: the same /reset and /verify pages take them.
  app.post('/admin/realms/:id/users/:user_id/password-reset', async (c) => {
    const { realm, user } = await target(c)
    // /reset refuses disabled users, so their link would not work.
    if (user.state !== 'active') throw new AppError('bad_request', 'This user is disabled: enable them before sending a password reset email.')
    await sendPasswordReset(services, realm, services.loginrocketUrlOf(realm), user, services.clock())
    await record(c, realm, user, { type: 'user.password.resetting', data: { email: user.email } })
    return backToUser(c, realm, user, 'reset_sent')
  })

  app.post('/admin/realms/:id/users/:user_id/verification', async (c) => {
    const { realm, user } = await target(c)
    if (user.emailVerifiedAt) throw new AppError('bad_request', 'This user’s email address is confirmed already.')
    await sendVerificationLink(services, realm, services.loginrocketUrlOf(realm), user, user.email, services.clock())
    await record(c, realm, user, { type: 'user.email.verifying', data: { email: user.email } })
    return backToUser(c, realm, user, 'verification_sent')
  })

  const deletePage = async (c: Context<AppEnv>, realm: Realm, user: User, typed = '', errors: FieldErrors = {}) => {
    const impact = await deleteImpact(realm, user)
    const status = errors.confirm_email ? 422 : impact.ownerless.length > 0 && typed !== '' ? 409 : 200
    return renderPage(c, <AdminUserDeletePage admin={signedInAdmin(c)} realm={realmRow(services, realm)} user={user} impact={impact} typed={typed} errors={errors} />, status)
  }

  app.get('/admin/realms/:id/users/:user_id/delete', async (c) => {
    const { realm, user } = await target(c)
    return deletePage(c, realm, user)
  })

  app.post('/admin/realms/:id/users/:user_id/delete', async (c) => {
    const { realm, user } = await target(c)
    const typed = field(await c.req.parseBody(), 'confirm_email').slice(0, KEEP)
    if (!services.adminUsers.confirms(user, typed)) {
      return deletePage(c, realm, user, typed, {
        confirm_email: typed === '' ? 'Type the user’s email address to confirm.' : 'That is not the user’s email address.',
      })
    }
    const removed = await services.adminUsers.remove(realm, user, adminActor(c), services.clock())
    if (!removed) throw new AppError('not_found', 'This realm has no user with this ID.')
    // The only owner of an account others share: the page says which, and that another owner comes first.
    if ('ownerOfOrgIds' in removed) return deletePage(c, realm, user, typed)
    services.logger.info({ admin: c.get('admin').admin.id, realm: realm.id, user: user.id }, 'user deleted in the admin portal')
    return c.redirect(`${adminUrl.realm(realm.id).users}?deleted=1`, 303)
  })

  return app
}
