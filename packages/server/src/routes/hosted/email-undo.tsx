import { Hono, type Context } from 'hono'
import type { AppEnv } from '../../http/env.js'
import type { Services } from '../../services/index.js'
import { field } from '../../domain/validation.js'
import { EmailUndoPage } from '../../views/pages/email-undo.js'
import { MessagePage } from '../../views/pages/message.js'
import { renderPage } from '../../views/render.js'

/**
 * The link mailed to the former address when an email change completes:
 * - GET /email/undo?token= asks for confirmation (changes nothing);
 * - POST /email/undo puts the address back, ends every session, voids every link, and leads into the reset form.
 */
export function emailUndoRoutes(services: Services) {
  const app = new Hono<AppEnv>()

  const unusable = (c: Context<AppEnv>) =>
    renderPage(c,
      <MessagePage realm={c.get('realm')} title="This link has expired" link={{ href: '/forgot', text: 'Reset your password' }}>
        <p>This link has expired or has already been used. A link to undo a change of email address works for 7 days, and only once.</p>
      </MessagePage>,
      410,
    )

  app.get('/email/undo', async (c) => {
    const realm = c.get('realm')
    const secret = c.req.query('token') ?? ''
    const found = await services.credentials.peekUndo(realm, secret, services.clock())
    if (!found) return unusable(c)
    return renderPage(c, <EmailUndoPage realm={realm} csrf={c.get('csrf')} token={secret} email={found.email} current={found.user.email} />)
  })

  app.post('/email/undo', async (c) => {
    const realm = c.get('realm')
    const secret = field(await c.req.parseBody(), 'token')
    const outcome = await services.credentials.undoEmailChange(realm, secret, { ip: c.get('clientIp') }, services.clock())
    if (!outcome.ok && outcome.reason === 'unusable') return unusable(c)
    const { email } = outcome
    if (!outcome.ok) {
      return renderPage(c,
        <MessagePage realm={realm} title="This address can’t be put back" link={{ href: '/forgot', text: 'Reset your password' }}>
          <p>
            Another account now uses <strong>{email}</strong>, so it can’t become this account’s address again. Everyone using the account has been logged
            out; ask the site’s administrators for help.
          </p>
        </MessagePage>,
        409,
      )
    }
    // A new password next: whoever changed the address knew the old one.
    return c.redirect(`/reset?${new URLSearchParams({ token: outcome.resetSecret })}`, 303)
  })

  return app
}
