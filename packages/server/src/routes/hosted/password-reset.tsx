import { Hono, type Context } from 'hono'
import { afterResponse } from '../../http/after-response.js'
import type { AppEnv } from '../../http/env.js'
import { forgotRule } from '../../http/throttle-rules.js'
import { recordEvent } from '../../http/events.js'
import { forgetLoginFailures, throttled } from '../../http/throttle.js'
import { sendPasswordReset } from '../../services/account-mail.js'
import type { Services } from '../../services/index.js'
import { outboxUrl } from '../../services/outbox.js'
import { LIFETIME_MS } from '../../services/links.js'
import { passwordProblem } from '../../services/passwords.js'
import { cleanEmail, emailProblem, field } from '../../domain/validation.js'
import { MessagePage } from '../../views/pages/message.js'
import { ForgotPage, ForgotSentPage, ResetPage } from '../../views/pages/password.js'
import { browserLogin, completeLogin } from './flow.js'
import { readFlow, type Flow } from '../../http/flow.js'
import { renderPage } from '../../views/render.js'

const MINUTES = Math.round(LIFETIME_MS.password_reset / 60_000)

/**
 * Forgot password and reset:
 * - GET/POST /forgot asks for an email and mails a single-use link to the account with that address, if any;
 *   the answer is the same page, status and time either way (the lookup, link and mail come after it), so it tells nobody who has an account.
 * - GET /reset?token= shows the new-password form while the link is usable; POST /reset sets the password,
 *   uses the link up, ends every other session, confirms the email (the mail reached its owner) and logs in.
 */
export function passwordResetRoutes(services: Services) {
  const app = new Hono<AppEnv>()

  const unusable = (c: Context<AppEnv>, flow: Flow) =>
    renderPage(c,
      <MessagePage realm={c.get('realm')} title="This link has expired" link={{ href: `/forgot${flow.carry}`, text: 'Get a new link' }}>
        <p>This password reset link has expired or has already been used. A link works for {MINUTES} minutes, and only once; only the newest link you asked for works.</p>
      </MessagePage>,
      410,
    )

  /** The link's record and its user while both are usable, in this realm; else null. Looking does not use it up. */
  const usableLink = async (c: Context<AppEnv>, secret: string) => {
    const realm = c.get('realm')
    const link = await services.links.peek('password_reset', secret, services.clock())
    if (!link || link.realmId !== realm.id || !link.userId) return null
    const user = await services.users.byId(realm, link.userId)
    if (!user || user.state !== 'active') return null
    return { link, user }
  }

  app.get('/forgot', async (c) => {
    const flow = await readFlow(c)
    return renderPage(c, <ForgotPage realm={c.get('realm')} csrf={c.get('csrf')} carry={flow.carry} hidden={flow.hidden} />)
  })

  app.post('/forgot', throttled(forgotRule), async (c) => {
    const flow = await readFlow(c)
    const realm = c.get('realm')
    const typed = field(await c.req.parseBody(), 'email')
    const email = cleanEmail(typed)
    const problem = emailProblem(email)
    if (problem) {
      return renderPage(c,
        <ForgotPage realm={realm} csrf={c.get('csrf')} email={typed.slice(0, 300)} errors={{ email: problem }} carry={flow.carry} hidden={flow.hidden} />,
        422,
      )
    }
    // The answer is the same page, made the same way, whether the address has an account: the lookup, the link
    // and the mail come after it, so it doesn't take longer either.
    afterResponse(c, services, 'password reset mail', async () => {
      const user = await services.users.byEmail(realm, email)
      if (!user || user.state !== 'active') return
      await sendPasswordReset(services, realm, c.get('loginrocketUrl'), user, services.clock(), flow.hidden.redirect_uri)
      await recordEvent(c, services, { type: 'user.password.resetting', userId: user.id })
    })
    return renderPage(c, <ForgotSentPage realm={realm} carry={flow.carry} minutes={MINUTES} outbox={outboxUrl(services, realm)} />)
  })

  app.get('/reset', async (c) => {
    const flow = await readFlow(c)
    const secret = c.req.query('token') ?? ''
    const found = await usableLink(c, secret)
    if (!found) return unusable(c, flow)
    return renderPage(c, <ResetPage realm={c.get('realm')} csrf={c.get('csrf')} token={secret} email={found.user.email} hidden={flow.hidden} />)
  })

  app.post('/reset', async (c) => {
    const flow = await readFlow(c)
    const realm = c.get('realm')
    const form = await c.req.parseBody()
    const secret = field(form, 'token')
    const password = field(form, 'new_password', false)
    const found = await usableLink(c, secret)
    if (!found) return unusable(c, flow)
    const { user } = found

    // Check the password before using the link up, so a typo doesn't cost the user their link.
    const problem = passwordProblem(password, { email: user.email, realmName: realm.name })
    if (problem) {
      return renderPage(c,
        <ResetPage realm={realm} csrf={c.get('csrf')} token={secret} email={user.email} errors={{ new_password: problem }} hidden={flow.hidden} />,
        422,
      )
    }
    // Single use, decided by the database: of two posts at once, one wins.
    if (!(await services.links.consume('password_reset', secret, services.clock()))) return unusable(c, flow)

    const changed = await services.users.checkPasswordChange(realm, user, null, password, services.clock())
    if (!changed.ok) {
      // Only reachable if the rules changed between the check above and here; the link is spent, so start over.
      return unusable(c, flow)
    }
    // Whoever knew the old password is logged out everywhere and their links die; this browser gets a fresh session below.
    await services.credentials.changePassword(realm, changed.value, { ip: c.get('clientIp') }, services.clock())
    // The mailbox's owner is back in: failed logins, theirs or an attacker's, no longer stand in their way.
    await forgetLoginFailures(c, user.email)
    await recordEvent(c, services, { type: 'user.password.updated', userId: user.id, data: { via: 'reset', other_sessions: 'ended', links: 'voided' } })
    let current = changed.value
    if (current.emailVerifiedAt === null) {
      const verified = await services.users.markEmailVerified(realm, current, current.email, services.clock())
      if (verified.ok) {
        current = verified.value
        await recordEvent(c, services, { type: 'user.email.verified', userId: user.id, data: { email: current.email, via: 'reset' } })
      }
    }
    // Back to the app when it sent the user here; otherwise to a page that says what happened.
    const sendTo = flow.hidden.redirect_uri || flow.returnTo ? flow : { ...flow, returnTo: '/reset/done' }
    return completeLogin(c, services, sendTo, current)
  })

  app.get('/reset/done', async (c) => {
    const loggedIn = (await browserLogin(c, services)) !== null
    return renderPage(c,
      <MessagePage realm={c.get('realm')} title="Password changed" link={{ href: '/login', text: loggedIn ? 'Continue' : 'Log in' }}>
        <p>
          {loggedIn
            ? 'Your password has been changed, and you are logged in. Everywhere else you were logged in, you have been logged out.'
            : 'Your password has been changed. Log in with your new password.'}
        </p>
      </MessagePage>,
    )
  })

  return app
}
