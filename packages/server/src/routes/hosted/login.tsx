import { Hono } from 'hono'
import type { AppEnv } from '../../http/env.js'
import { throttled } from '../../http/throttle.js'
import { loginRule } from '../../http/throttle-rules.js'
import { visitorActor } from '../../http/events.js'
import { mustVerifyFirst } from '../../services/account-mail.js'
import type { Services } from '../../services/index.js'
import { field } from '../../domain/validation.js'
import { LoginPage } from '../../views/pages/login.js'
import { browserLogin, completeLogin, sendBack } from './flow.js'
import { readFlow } from '../../http/flow.js'
import { checkEmailPage } from './verify.js'
import { renderPage } from '../../views/render.js'

const FAILED = 'That email and password don’t match an account. Check them and try again.'

/** GET and POST /login. A browser already logged in goes straight back (single sign-on) unless prompt=login. */
export function loginRoutes(services: Services) {
  const app = new Hono<AppEnv>()

  app.get('/login', async (c) => {
    const flow = await readFlow(c)
    const current = await browserLogin(c, services)
    if (current && c.req.query('prompt') !== 'login') {
      if (mustVerifyFirst(c.get('realm'), current.user)) return checkEmailPage(c, services, flow, current.user.email, 'login')
      return sendBack(c, services, flow, current.user, current.session)
    }
    return renderPage(c, <LoginPage realm={c.get('realm')} csrf={c.get('csrf')} carry={flow.carry} hidden={flow.hidden} />)
  })

  app.post('/login', throttled(loginRule), async (c) => {
    const flow = await readFlow(c)
    const form = await c.req.parseBody()
    const email = field(form, 'email')
    const password = field(form, 'password', false)
    const realm = c.get('realm')
    const page = (status: 401 | 403, failure: string) =>
      renderPage(c, <LoginPage realm={realm} csrf={c.get('csrf')} email={email.slice(0, 300)} failure={failure} carry={flow.carry} hidden={flow.hidden} />, status)

    const outcome = await services.users.login(realm, email, password, visitorActor(c), services.clock())
    if (!outcome.ok) {
      return outcome.reason === 'inactive'
        ? page(403, 'This account has been disabled. Contact the app’s support to turn it back on.')
        : page(401, FAILED)
    }
    // A realm that requires a confirmed email gives no token before it is confirmed.
    if (mustVerifyFirst(realm, outcome.user)) return checkEmailPage(c, services, flow, outcome.user.email, 'login')
    return completeLogin(c, services, flow, outcome.user)
  })

  return app
}
