import { Hono } from 'hono'
import type { AppEnv } from '../../http/env.js'
import type { Services } from '../../services/index.js'

const BEARER = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/

/**
 * POST /connect/renew: a fresh token for a token this realm signed (even expired) whose LoginRocket session
 * is alive, with the user's current profile; 401 once the session has ended or the user is disabled.
 */
export function renewRoutes(services: Services) {
  const app = new Hono<AppEnv>()
  app.post('/connect/renew', async (c) => {
    const realm = c.get('realm')
    const now = services.clock()
    const ended = () => {
      c.header('WWW-Authenticate', 'Bearer realm="loginrocket", error="invalid_token"')
      return c.json({ error: 'session_ended', message: 'The login session has ended; log in again.' }, 401)
    }
    const token = BEARER.exec(c.req.header('authorization') ?? '')?.[1]
    if (!token) return ended()
    const claims = await services.tokens.verifyIgnoringExpiry(realm, c.get('loginrocketUrl'), token, now)
    if (!claims) return ended()
    const session = await services.sessions.live(realm, String(claims.sid), now)
    if (!session || session.userId !== claims.sub) return ended()
    const user = await services.users.byId(realm, session.userId)
    if (!user || user.state !== 'active') return ended()
    const fresh = await services.tokens.issue(realm, c.get('loginrocketUrl'), user, session, now)
    c.header('Cache-Control', 'no-store')
    c.header('Referrer-Policy', 'no-referrer')
    return c.json({ token: fresh })
  })
  return app
}
