import { Hono, type Context } from 'hono'
import type { AppEnv } from '../../http/env.js'
import type { Services } from '../../services/index.js'
import { field } from '../../domain/validation.js'
import { AccountsPage } from '../../views/pages/accounts.js'
import { MessagePage } from '../../views/pages/message.js'
import { browserLogin, loginFirst, sendBack } from './flow.js'
import { readFlow, type Flow } from '../../http/flow.js'
import { renderPage } from '../../views/render.js'

/** What the list says after leaving or closing an account (`?done=...`); never free text from the URL. */
const DONE: Record<string, string> = {
  left: 'You left the account.',
  closed: 'The account was closed. Its members no longer have access to it.',
}

/**
 * GET /accounts lists the user's accounts; choosing one (POST /accounts/choose) makes it current and sends
 * the browser back with a token for it. With one account and no `force=1`, it is chosen without asking.
 * In multi-user realms, POST /accounts/new creates another account (and switches to it).
 */
export function accountsRoutes(services: Services) {
  const app = new Hono<AppEnv>()

  const here = (flow: Flow) => `/accounts${flow.carry}`

  app.get('/accounts', async (c) => {
    const flow = await readFlow(c)
    const current = await browserLogin(c, services)
    if (!current) return loginFirst(c, `${new URL(c.req.url).pathname}${new URL(c.req.url).search}`)
    const accounts = await services.accounts.list(c.get('realm'), current.user)
    if (accounts.length === 1 && c.req.query('force') !== '1' && flow.redirectUri) {
      await services.accounts.choose(c.get('realm'), current.user, accounts[0]!.orgId, services.clock())
      return sendBack(c, services, flow, current.user, current.session)
    }
    const done = c.req.query('done')
    const notice = done && Object.hasOwn(DONE, done) ? DONE[done] : undefined
    return renderPage(c, <AccountsPage realm={c.get('realm')} csrf={c.get('csrf')} accounts={accounts} hidden={flow.hidden} notice={notice} />)
  })

  app.post('/accounts/choose', async (c) => {
    const flow = await readFlow(c)
    const current = await browserLogin(c, services)
    if (!current) return loginFirst(c, here(flow))
    const orgId = field(await c.req.parseBody(), 'org_id')
    const chosen = await services.accounts.choose(c.get('realm'), current.user, orgId, services.clock())
    if (!chosen) return notMember(c, flow)
    return flow.redirectUri ? sendBack(c, services, flow, current.user, current.session) : c.redirect(here(flow), 303)
  })

  app.post('/accounts/new', async (c) => {
    const flow = await readFlow(c)
    const current = await browserLogin(c, services)
    if (!current) return loginFirst(c, here(flow))
    const realm = c.get('realm')
    if (realm.settings.org_mode !== 'multi_user') return notMember(c, flow)
    const name = field(await c.req.parseBody(), 'account_name')
    const outcome = await services.accounts.createNamed(realm, current.user, name, services.clock(), c.get('clientIp'))
    if (!outcome.ok) {
      const accounts = await services.accounts.list(realm, current.user)
      return renderPage(c, <AccountsPage realm={realm} csrf={c.get('csrf')} accounts={accounts} hidden={flow.hidden} errors={outcome.errors} accountName={name.slice(0, 300)} />, 422)
    }
    return flow.redirectUri ? sendBack(c, services, flow, current.user, current.session) : c.redirect(here(flow), 303)
  })

  function notMember(c: Context<AppEnv>, flow: Flow) {
    return renderPage(c,
      <MessagePage realm={c.get('realm')} title="Account not available" link={{ href: here(flow), text: 'Your accounts' }}>
        <p>You are not a member of that account.</p>
      </MessagePage>,
      403,
    )
  }

  return app
}
