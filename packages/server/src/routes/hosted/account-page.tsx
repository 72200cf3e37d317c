import type { Context } from 'hono'
import type { LoginSession } from '../../domain/session.js'
import type { User } from '../../domain/user.js'
import type { AppEnv } from '../../http/env.js'
import type { AccountAccess } from '../../services/account-management.js'
import type { Services } from '../../services/index.js'
import { inviterProblem } from '../../services/invitations.js'
import type { FieldErrors } from '../../domain/validation.js'
import { AccountPage, type AccountForm } from '../../views/pages/account.js'
import { backParams, browserLogin, loginFirst } from './flow.js'
import { readFlow, type Flow } from '../../http/flow.js'
import { renderPage } from '../../views/render.js'

/** What a successful post says once the browser is back on the account (`?done=...`); never free text from the URL. */
export const DONE = {
  name: 'The account’s name was saved.',
  permissions: 'The permissions were saved. The app sees them when it next renews its token.',
  removed: 'The member was removed from the account.',
  invited: 'The invitation was sent.',
  resent: 'The invitation was sent again with a new link; the earlier link no longer works.',
  revoked: 'The invitation was revoked; its link no longer works.',
  joined: 'Welcome: you are now a member of this account.',
} as const

export type Done = keyof typeof DONE

/** The notices that say a mail was sent. */
export const MAILED: ReadonlySet<string> = new Set<Done>(['invited', 'resent'])

/** Typed values shown again after an error are cut to this length (the fields' limits are far lower). */
const KEEP = 300

/** One request to an account's page: its flow, the browser's login, and what that user may do there. */
export interface AccountRequest {
  flow: Flow
  user: User
  session: LoginSession
  access: AccountAccess
}

export const accountPath = (orgId: string) => `/accounts/${encodeURIComponent(orgId)}`

/** `?redirect_uri=...&nonce=...` when the request carried them, else ''. The account pages pass on nothing else. */
export function carryOf(flow: Flow): string {
  const query = new URLSearchParams(backParams(flow)).toString()
  return query ? `?${query}` : ''
}

/**
 * Reads the flow and the login, and checks the account: a browser without a LoginRocket session is sent to
 * log in and back (to this URL for a GET, to the account's page for a POST); an account that isn't open in
 * this realm is a 404, one the user isn't a member of a 403 (thrown).
 */
export async function openAccount(c: Context<AppEnv>, services: Services): Promise<AccountRequest | Response> {
  const flow = await readFlow(c)
  const orgId = c.req.param('org_id') ?? ''
  const current = await browserLogin(c, services)
  if (!current) {
    const url = new URL(c.req.url)
    return loginFirst(c, c.req.method === 'GET' ? `${url.pathname}${url.search}` : `${accountPath(orgId)}${carryOf(flow)}`)
  }
  const access = await services.accountManagement.access(c.get('realm'), current.user, orgId)
  return { flow, ...current, access }
}

/** The account's page, with a notice or with the errors and typed values of the form that failed. */
export async function accountPage(
  c: Context<AppEnv>,
  services: Services,
  request: AccountRequest,
  extra: { notice?: string | undefined; outbox?: string | null; failed?: { form: AccountForm; errors: FieldErrors; values: Record<string, string | string[]> } } = {},
): Promise<Response> {
  const realm = c.get('realm')
  const { flow, access } = request
  const members = access.manager ? await services.accountManagement.members(realm, access.org) : []
  const invitations = access.manager ? await services.invitations.open(realm, access.org) : []
  const inviteBlocked = access.manager ? inviterProblem(realm, request.user) : null
  const backTo = flow.hidden.redirect_uri && flow.redirectUri ? `/login?${new URLSearchParams({ ...backParams(flow), redirect_uri: flow.redirectUri })}` : null
  const accountsHref = `/accounts?${new URLSearchParams({ force: '1', ...backParams(flow) })}`
  const failed = extra.failed && {
    ...extra.failed,
    values: Object.fromEntries(Object.entries(extra.failed.values).map(([name, value]) => [name, typeof value === 'string' ? value.slice(0, KEEP) : value.map((v) => v.slice(0, KEEP))])),
  }
  c.header('Cache-Control', 'no-store')
  return renderPage(c,
    <AccountPage
      realm={realm}
      csrf={c.get('csrf')}
      access={access}
      members={members}
      invitations={invitations}
      now={services.clock()}
      carry={carryOf(flow)}
      backTo={backTo}
      accountsHref={accountsHref}
      notice={extra.notice}
      outbox={extra.outbox}
      failed={failed}
      inviteBlocked={inviteBlocked}
    />,
    failed ? 422 : 200,
  )
}

/** After a success: a fresh GET of the account's page (so a reload doesn't post again), saying what was done. */
export function backToAccount(c: Context<AppEnv>, request: AccountRequest, done: Done): Response {
  const query = new URLSearchParams({ done, ...backParams(request.flow) })
  return c.redirect(`${accountPath(request.access.org.id)}?${query}`, 303)
}

/** After leaving or closing an account: the list of the user's accounts, saying what happened. */
export function toAccounts(c: Context<AppEnv>, request: AccountRequest, done: 'left' | 'closed'): Response {
  const query = new URLSearchParams({ force: '1', done, ...backParams(request.flow) })
  return c.redirect(`/accounts?${query}`, 303)
}
