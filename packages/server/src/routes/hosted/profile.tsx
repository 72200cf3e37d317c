import { Hono, type Context } from 'hono'
import type { User } from '../../domain/user.js'
import { AppError } from '../../errors/app-error.js'
import type { AppEnv } from '../../http/env.js'
import { throttled } from '../../http/throttle.js'
import { passwordCheckRule } from '../../http/throttle-rules.js'
import { recordEvent, userActor } from '../../http/events.js'
import { requestEmailChange } from '../../services/email-change.js'
import type { Services } from '../../services/index.js'
import { outboxUrl } from '../../services/outbox.js'
import { field, type FieldErrors } from '../../domain/validation.js'
import { ProfilePage, type ProfileForm, type ProfilePageProps } from '../../views/pages/profile.js'
import { backParams, browserLogin, loginFirst } from './flow.js'
import { readFlow, type Flow } from '../../http/flow.js'
import { renderPage } from '../../views/render.js'

/** What a successful post says once the browser is back on the profile (`?saved=...`); never free text from the URL. */
const SAVED: Record<ProfileForm, string> = {
  name: 'Your name was saved.',
  email: 'We sent a link to your new email address. Your email changes when you open it.',
  password: 'Your password was changed. You were logged out everywhere else.',
}

/** Typed values shown again after an error are cut to this length (the fields' limits are far lower). */
const KEEP = 300

/**
 * GET /profile and its three forms (POST /profile/name, /profile/email, /profile/password). Each form posts
 * to its own path, so its errors show next to its fields; a success redirects back to the profile with a
 * notice. `redirect_uri` (checked against the realm's Login URLs) travels along and becomes the way back.
 */
export function profileRoutes(services: Services) {
  const app = new Hono<AppEnv>()

  app.get('/profile', async (c) => {
    const flow = await readFlow(c)
    const current = await browserLogin(c, services)
    if (!current) return toLogin(c)
    const saved = c.req.query('saved')
    const notice = saved && Object.hasOwn(SAVED, saved) ? SAVED[saved as ProfileForm] : undefined
    return page(c, flow, current.user, { notice, outbox: saved === 'email' ? outboxUrl(services, c.get('realm')) : null })
  })

  app.post('/profile/name', async (c) => {
    const flow = await readFlow(c)
    const current = await browserLogin(c, services)
    if (!current) return toLogin(c, flow)
    const realm = c.get('realm')
    if (realm.settings.name_field === 'hidden') throw new AppError('not_found', 'There is no page at this address.')
    const form = await c.req.parseBody()
    const values = { first_name: field(form, 'first_name'), last_name: field(form, 'last_name') }
    const outcome = await services.users.updateNames(realm, current.user, values.first_name, values.last_name, userActor(c, current.user), services.clock())
    if (!outcome.ok) return failed(c, flow, current.user, 'name', outcome.errors, values)
    return backToProfile(c, flow, 'name')
  })

  app.post('/profile/email', throttled(passwordCheckRule), async (c) => {
    const flow = await readFlow(c)
    const current = await browserLogin(c, services)
    if (!current) return toLogin(c, flow)
    const form = await c.req.parseBody()
    const values = { email: field(form, 'email') }
    const outcome = await requestEmailChange(
      services,
      c.get('realm'),
      c.get('loginrocketUrl'),
      current.user,
      { email: values.email, password: field(form, 'email_password', false), redirectUri: flow.hidden.redirect_uri },
      services.clock(),
    )
    if (!outcome.ok) return failed(c, flow, current.user, 'email', outcome.errors, values)
    await recordEvent(c, services, { type: 'user.email.verifying', userId: current.user.id, data: { email: outcome.value.email, change: true } })
    return backToProfile(c, flow, 'email')
  })

  app.post('/profile/password', throttled(passwordCheckRule), async (c) => {
    const flow = await readFlow(c)
    const current = await browserLogin(c, services)
    if (!current) return toLogin(c, flow)
    const realm = c.get('realm')
    const form = await c.req.parseBody()
    const currentPassword = field(form, 'current_password', false)
    if (currentPassword === '') return failed(c, flow, current.user, 'password', { current_password: 'Enter your current password.' }, {})
    const outcome = await services.users.checkPasswordChange(realm, current.user, currentPassword, field(form, 'new_password', false), services.clock())
    if (!outcome.ok) return failed(c, flow, current.user, 'password', outcome.errors, {})
    // A new password shuts out whoever else knew the old one: their links and sessions end, this one stays.
    await services.credentials.changePassword(realm, outcome.value, { ip: c.get('clientIp'), keep: current.session }, services.clock())
    await recordEvent(c, services, { type: 'user.password.updated', userId: current.user.id, data: { via: 'profile', other_sessions: 'ended', links: 'voided' } })
    return backToProfile(c, flow, 'password')
  })

  /**
   * The profile page; `backTo` only when the request carried a redirect_uri (readFlow has refused bad ones).
   * It goes through /login, which sends the browser back at once with a fresh token, so the app shows the
   * changes now rather than at its next renewal.
   */
  function page(c: Context<AppEnv>, flow: Flow, user: User, extra: Pick<ProfilePageProps, 'notice' | 'outbox' | 'failed'>, status: 200 | 422 = 200) {
    const backTo = flow.hidden.redirect_uri && flow.redirectUri ? `/login?${new URLSearchParams({ ...backParams(flow), redirect_uri: flow.redirectUri })}` : null
    return renderPage(c,
      <ProfilePage realm={c.get('realm')} csrf={c.get('csrf')} user={user} carry={carryOf(flow)} backTo={backTo} notice={extra.notice} outbox={extra.outbox} failed={extra.failed} />,
      status,
    )
  }

  function failed(c: Context<AppEnv>, flow: Flow, user: User, form: ProfileForm, errors: FieldErrors, values: Record<string, string>) {
    const kept = Object.fromEntries(Object.entries(values).map(([name, value]) => [name, value.slice(0, KEEP)]))
    return page(c, flow, user, { failed: { form, errors, values: kept } }, 422)
  }

  return app
}

/** `?redirect_uri=...&nonce=...` when the request carried them, else ''. The profile passes on nothing else. */
function carryOf(flow: Flow): string {
  const query = new URLSearchParams(backParams(flow)).toString()
  return query ? `?${query}` : ''
}

/** After a success: a fresh GET of the profile (so a reload doesn't post again), saying what was saved. */
function backToProfile(c: Context<AppEnv>, flow: Flow, saved: ProfileForm): Response {
  const query = new URLSearchParams({ saved, ...backParams(flow) })
  return c.redirect(`/profile?${query}`, 303)
}

/**
 * A browser without a LoginRocket session logs in first and comes back here: a GET to this very URL, a
 * POST (whose session ended meanwhile) to the profile, keeping the way back to the app.
 */
function toLogin(c: Context<AppEnv>, flow?: Flow): Response {
  const url = new URL(c.req.url)
  return loginFirst(c, flow ? `/profile${carryOf(flow)}` : `${url.pathname}${url.search}`)
}
