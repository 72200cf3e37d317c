import { Hono } from 'hono'
import type { AppEnv } from '../../http/env.js'
import type { Services } from '../../services/index.js'
import { accountInvitationRoutes } from './account-invitations.js'
import { accountManageRoutes } from './account-manage.js'
import { accountsRoutes } from './accounts.js'
import { emailUndoRoutes } from './email-undo.js'
import { homeRoutes } from './home.js'
import { invitationAcceptRoutes } from './invitation-accept.js'
import { loginRoutes } from './login.js'
import { logoutRoutes } from './logout.js'
import { passwordResetRoutes } from './password-reset.js'
import { profileRoutes } from './profile.js'
import { signupRoutes } from './signup.js'
import { verifyRoutes } from './verify.js'

/** The hosted pages a realm's users see: login, signup, password reset, verification, profile and accounts. */
export function hostedRoutes(services: Services) {
  const app = new Hono<AppEnv>()
  app.route('/', homeRoutes(services))
  app.route('/', loginRoutes(services))
  app.route('/', signupRoutes(services))
  app.route('/', logoutRoutes(services))
  app.route('/', passwordResetRoutes(services))
  app.route('/', verifyRoutes(services))
  app.route('/', emailUndoRoutes(services))
  app.route('/', profileRoutes(services))
  app.route('/', accountsRoutes(services))
  app.route('/', accountManageRoutes(services))
  app.route('/', accountInvitationRoutes(services))
  app.route('/', invitationAcceptRoutes(services))
  return app
}
