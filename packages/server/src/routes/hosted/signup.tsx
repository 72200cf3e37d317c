import { Hono, type Context } from 'hono'
import type { AppEnv } from '../../http/env.js'
import { throttled } from '../../http/throttle.js'
import { signupRule } from '../../http/throttle-rules.js'
import { mailVerificationLink, mustVerifyFirst } from '../../services/account-mail.js'
import type { Services } from '../../services/index.js'
import { accountNameProblem } from '../../services/accounts.js'
import { field } from '../../domain/validation.js'
import { MessagePage } from '../../views/pages/message.js'
import { SignupPage } from '../../views/pages/signup.js'
import { completeLogin } from './flow.js'
import { readFlow } from '../../http/flow.js'
import { invitedSignup, invitedSignupPage } from './signup-invited.js'
import { checkEmailPage } from './verify.js'
import { renderPage } from '../../views/render.js'

/**
 * GET and POST /signup, as the realm's `signup` and field settings say. With an invitation (`invitation`, the
 * secret of its link) the signup joins the inviting account instead (signup-invited.tsx); `signup=invitation`
 * realms take only those, `closed` realms none.
 */
export function signupRoutes(services: Services) {
  const app = new Hono<AppEnv>()

  const closed = (c: Context<AppEnv>, carry: string) =>
    renderPage(c,
      <MessagePage realm={c.get('realm')} title="Signup is closed" link={{ href: `/login${carry}`, text: 'Log in instead' }}>
        <p>{c.get('realm').settings.signup === 'invitation' ? 'You need an invitation to join.' : 'New accounts can’t be created here.'}</p>
      </MessagePage>,
      403,
    )

  app.get('/signup', async (c) => {
    const flow = await readFlow(c)
    const invitation = c.req.query('invitation')
    if (invitation !== undefined && c.get('realm').settings.signup !== 'closed') return invitedSignupPage(c, services, flow, invitation)
    if (c.get('realm').settings.signup !== 'open') return closed(c, flow.carry)
    return renderPage(c, <SignupPage realm={c.get('realm')} csrf={c.get('csrf')} carry={flow.carry} hidden={flow.hidden} />)
  })

  app.post('/signup', throttled(signupRule), async (c) => {
    const flow = await readFlow(c)
    const realm = c.get('realm')
    const form = await c.req.parseBody()
    const invitation = field(form, 'invitation')
    if (invitation && realm.settings.signup !== 'closed') return invitedSignup(c, services, flow, invitation, form)
    if (realm.settings.signup !== 'open') return closed(c, flow.carry)
    const values = {
      email: field(form, 'email'),
      first_name: field(form, 'first_name'),
      last_name: field(form, 'last_name'),
      username: field(form, 'username'),
      account_name: field(form, 'account_name'),
    }
    // Multi-user realms ask for the new account's name (single-user accounts are named after the user).
    const asksAccount = realm.settings.org_mode === 'multi_user' && realm.settings.org_name_field !== 'hidden'
    const accountProblem = asksAccount ? accountNameProblem(values.account_name, realm.settings.org_name_field === 'required') : null
    const outcome = await services.signups.signup(
      realm,
      { email: values.email, password: field(form, 'password', false), firstName: values.first_name, lastName: values.last_name, username: values.username },
      services.clock(),
      { ip: c.get('clientIp'), accountName: asksAccount ? values.account_name : '', otherErrors: accountProblem ? { account_name: accountProblem } : {} },
    )
    if (!outcome.ok) {
      const kept = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.slice(0, 300)]))
      return renderPage(c, <SignupPage realm={realm} csrf={c.get('csrf')} values={kept} errors={outcome.errors} carry={flow.carry} hidden={flow.hidden} />, 422)
    }
    const { user, verificationSecret } = outcome.value
    if (verificationSecret) mailVerificationLink(services, realm, c.get('loginrocketUrl'), user.email, verificationSecret, flow.hidden.redirect_uri)
    // A realm that requires a confirmed email gives no session or token before it is confirmed.
    if (mustVerifyFirst(realm, user)) return checkEmailPage(c, services, flow, user.email, 'signup')
    return completeLogin(c, services, flow, user)
  })

  return app
}
