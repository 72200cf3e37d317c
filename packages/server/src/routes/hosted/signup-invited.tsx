import type { Context } from 'hono'
import type { AppEnv } from '../../http/env.js'
import type { Services } from '../../services/index.js'
import type { FoundInvitation } from '../../services/invitations.js'
import { field, type FieldErrors } from '../../domain/validation.js'
import { SignupPage } from '../../views/pages/signup.js'
import { accountPath } from './account-page.js'
import { completeLogin } from './flow.js'
import type { Flow } from '../../http/flow.js'
import { acceptPath, unusableInvitation } from './invitation-accept.js'
import { renderPage } from '../../views/render.js'

/**
 * The invitation a signup comes with, while it can be used; otherwise the page that says why not. An address
 * that has a login here already goes to the accept page (which asks to log in) instead of signing up again.
 */
async function usable(c: Context<AppEnv>, services: Services, flow: Flow, secret: string): Promise<FoundInvitation | Response> {
  const realm = c.get('realm')
  const found = await services.invitations.find(realm, secret, services.clock())
  if (!found || found.state !== 'pending') return unusableInvitation(c, found, flow)
  if (await services.users.byEmail(realm, found.invitation.email)) return c.redirect(acceptPath(secret, flow), 303)
  return found
}

function page(c: Context<AppEnv>, flow: Flow, secret: string, found: FoundInvitation, values: Record<string, string> = {}, errors: FieldErrors = {}) {
  const invitation = { secret, email: found.invitation.email, orgName: found.org?.name ?? '' }
  const status = Object.keys(errors).length > 0 ? 422 : 200
  return renderPage(c, <SignupPage realm={c.get('realm')} csrf={c.get('csrf')} values={values} errors={errors} carry={flow.carry} hidden={flow.hidden} invitation={invitation} />, status)
}

/** GET /signup?invitation=: the signup form with the invited address fixed, and no account name (they join one). */
export async function invitedSignupPage(c: Context<AppEnv>, services: Services, flow: Flow, secret: string): Promise<Response> {
  const found = await usable(c, services, flow, secret)
  return found instanceof Response ? found : page(c, flow, secret, found)
}

/**
 * POST /signup with an invitation: creates the login with the invited address, confirmed (the link reached
 * that inbox), joins the account with the invitation's permissions (it becomes the current one), and logs in.
 */
export async function invitedSignup(c: Context<AppEnv>, services: Services, flow: Flow, secret: string, form: Record<string, unknown>): Promise<Response> {
  const realm = c.get('realm')
  const found = await usable(c, services, flow, secret)
  if (found instanceof Response) return found
  const values = { first_name: field(form, 'first_name'), last_name: field(form, 'last_name'), username: field(form, 'username') }
  const outcome = await services.signups.signupInvited(
    realm,
    { email: found.invitation.email, password: field(form, 'password', false), firstName: values.first_name, lastName: values.last_name, username: values.username },
    secret,
    found.invitation.id,
    services.clock(),
    c.get('clientIp'),
  )
  if (!outcome.ok) {
    const kept = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.slice(0, 300)]))
    return page(c, flow, secret, found, kept, outcome.errors)
  }
  const { user, accepted } = outcome.value
  // Revoked or closed in the moment since the check: the login exists; the accept page says what happened.
  if (!accepted.ok) return completeLogin(c, services, { ...flow, returnTo: acceptPath(secret, flow) }, user)
  if (flow.redirectUri) return completeLogin(c, services, flow, user)
  return completeLogin(c, services, { ...flow, returnTo: `${accountPath(accepted.membership.orgId)}?done=joined` }, user)
}
