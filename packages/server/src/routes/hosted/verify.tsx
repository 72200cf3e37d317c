import { Hono, type Context } from 'hono'
import type { Realm } from '../../domain/realm.js'
import type { User } from '../../domain/user.js'
import { afterResponse } from '../../http/after-response.js'
import type { AppEnv } from '../../http/env.js'
import { throttled } from '../../http/throttle.js'
import { resendRule } from '../../http/throttle-rules.js'
import { recordEvent } from '../../http/events.js'
import { sendVerificationLink } from '../../services/account-mail.js'
import type { ChangedBy } from '../../services/credentials.js'
import type { Services } from '../../services/index.js'
import { outboxUrl } from '../../services/outbox.js'
import { cleanEmail, emailProblem, field, type Outcome } from '../../domain/validation.js'
import { MessagePage } from '../../views/pages/message.js'
import { CheckEmailPage, type CheckEmailPageProps } from '../../views/pages/verify.js'
import { browserLogin } from './flow.js'
import { readFlow, type Flow } from '../../http/flow.js'
import { renderPage } from '../../views/render.js'

/** "Check your email", with the button that sends the link again (login and signup show it too). */
export function checkEmailPage(c: Context<AppEnv>, services: Services, flow: Flow, email: string, reason: CheckEmailPageProps['reason']): Response | Promise<Response> {
  c.header('Cache-Control', 'no-store')
  const realm = c.get('realm')
  return renderPage(c,
    <CheckEmailPage realm={realm} csrf={c.get('csrf')} email={email} reason={reason} carry={flow.carry} hidden={flow.hidden} outbox={outboxUrl(services, realm)} />,
  )
}

/**
 * Email verification:
 * - GET /verify?token= uses the link up and makes its address the user's confirmed email: the signup address,
 *   or the new address of a profile change (which another account may have taken meanwhile).
 * - POST /verify/resend mails a new link to an unconfirmed account with that address, if any; the answer is
 *   the same either way.
 */
export function verifyRoutes(services: Services) {
  const app = new Hono<AppEnv>()

  /**
   * Confirms the address: the user's own, or a new one, which is a change of credentials (their links and other
   * sessions end, with the change, in one transaction). A lost race for the address (the unique index decides)
   * is the same form error.
   */
  const confirm = async (realm: Realm, user: User, email: string, by: ChangedBy, now: Date): Promise<Outcome<User>> => {
    try {
      if (email === user.email) return await services.users.markEmailVerified(realm, user, email, now)
      await services.credentials.changeEmail(realm, user, { email, emailVerifiedAt: now }, by, now)
      return { ok: true, value: { ...user, email, emailVerifiedAt: now, updatedAt: now } }
    } catch (error) {
      const holder = await services.users.byEmail(realm, email)
      if (holder && holder.id !== user.id) return { ok: false, errors: { email: 'Another account now uses this email address.' } }
      throw error
    }
  }

  app.get('/verify', async (c) => {
    const flow = await readFlow(c)
    const realm = c.get('realm')
    const now = services.clock()
    const secret = c.req.query('token')
    const unusable = () =>
      renderPage(c,
        <MessagePage realm={realm} title="This link has expired" link={{ href: `/login${flow.carry}`, text: 'Log in' }}>
          <p>This confirmation link has expired or has already been used; only the newest link we sent works.</p>
          <p>If you have already confirmed your address, just log in. If not, log in and ask for a new link.</p>
        </MessagePage>,
        410,
      )

    const link = await services.links.peek('email_verification', secret, now)
    if (!link || link.realmId !== realm.id || !link.userId) return unusable()
    const user = await services.users.byId(realm, link.userId)
    if (!user) return unusable()
    if (!(await services.links.consume('email_verification', secret, now))) return unusable()

    const email = link.email ?? user.email
    // This browser's session stays if it is the user's.
    const browser = await browserLogin(c, services)
    const keep = browser?.user.id === user.id ? browser.session : undefined
    const outcome = await confirm(realm, user, email, { ip: c.get('clientIp'), keep }, now)
    // Through the login page, so the app gets a fresh token that says the address is confirmed.
    const back = { href: `/login${flow.carry}`, text: flow.hidden.redirect_uri ? 'Continue' : 'Log in' }
    if (!outcome.ok) {
      return renderPage(c,
        <MessagePage realm={realm} title="This address can’t be confirmed" link={back}>
          <p>
            Another account now uses <strong>{email}</strong>, so it can’t become yours. Your account keeps the address <strong>{user.email}</strong>.
          </p>
        </MessagePage>,
        409,
      )
    }
    if (email !== user.email) {
      await recordEvent(c, services, { type: 'user.updated', userId: user.id, data: { changed: ['email'], email_before: user.email, email } })
    }
    await recordEvent(c, services, { type: 'user.email.verified', userId: user.id, data: { email } })
    return renderPage(c,
      <MessagePage realm={realm} title="Email address confirmed" link={back}>
        <p>
          Thank you: <strong>{email}</strong> is confirmed.
        </p>
      </MessagePage>,
    )
  })

  app.post('/verify/resend', throttled(resendRule), async (c) => {
    const flow = await readFlow(c)
    const realm = c.get('realm')
    const typed = field(await c.req.parseBody(), 'email')
    const email = cleanEmail(typed)
    if (emailProblem(email) === null && realm.settings.email_verification !== 'none') {
      // After the answer, which is then the same, and as quick, whether the address is an unconfirmed account's.
      afterResponse(c, services, 'verification mail', async () => {
        const user = await services.users.byEmail(realm, email)
        if (!user || user.state !== 'active' || user.emailVerifiedAt !== null) return
        await sendVerificationLink(services, realm, c.get('loginrocketUrl'), user, user.email, services.clock(), flow.hidden.redirect_uri)
        await recordEvent(c, services, { type: 'user.email.verifying', userId: user.id, data: { email: user.email } })
      })
    }
    return checkEmailPage(c, services, flow, typed.slice(0, 300), 'resent')
  })

  return app
}
