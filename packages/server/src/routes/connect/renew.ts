import { Hono, type Context } from 'hono'
import type { AppEnv } from '../../http/env.js'
import { isDatabaseDown } from '../../http/errors.js'
import { AppError } from '../../errors/app-error.js'
import type { Services } from '../../services/index.js'
import { renewGraceMinutes } from '../../domain/realm.js'

const BEARER = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/

/**
 * POST /connect/renew: a fresh token for a token this realm signed whose LoginRocket session is alive, with the
 * user's current profile. An expired token renews only within the realm's grace after its `exp` (a token copied
 * from a log must not stay good for the whole session): past it, 401 `token_too_old`, and the app sends the
 * browser through /login, where its live session signs it straight back in. 401 `session_ended` once the session
 * has ended or the user is disabled. Anything failing on the server's side is a 503 with Retry-After
 * (`database_unavailable` for a database outage, `unavailable` for anything else, such as keys it can't open),
 * never a 401: the middleware reads 401 as "logged out" and would end a live login; on a 503 it keeps the login
 * until its token expires.
 */
export function renewRoutes(services: Services) {
  const app = new Hono<AppEnv>()
  async function renew(c: Context<AppEnv>): Promise<Response> {
    const realm = c.get('realm')
    const now = services.clock()
    const refuse = (error: 'session_ended' | 'token_too_old', message: string) => {
      services.metrics.renewal(realm.id, error)
      return new AppError(error, message, undefined, { 'WWW-Authenticate': 'Bearer realm="loginrocket", error="invalid_token"' })
    }
    const ended = () => refuse('session_ended', 'The login session has ended; log in again.')
    const token = BEARER.exec(c.req.header('authorization') ?? '')?.[1]
    if (!token) throw ended()
    const claims = await services.tokens.verifyIgnoringExpiry(realm, c.get('loginrocketUrl'), token, now)
    if (!claims) throw ended()
    if (typeof claims.exp !== 'number' || now.getTime() > (claims.exp + renewGraceMinutes(realm.settings) * 60) * 1000) {
      throw refuse('token_too_old', 'This token expired too long ago to be renewed; log in again.')
    }
    const session = await services.sessions.live(realm, String(claims.sid), now)
    if (!session || session.userId !== claims.sub) throw ended()
    const user = await services.users.byId(realm, session.userId)
    if (!user || user.state !== 'active') throw ended()
    const fresh = await services.tokens.issue(realm, c.get('loginrocketUrl'), user, session, now)
    c.header('Cache-Control', 'no-store')
    c.header('Referrer-Policy', 'no-referrer')
    services.metrics.renewal(realm.id, 'renewed')
    return c.json({ token: fresh })
  }
  app.post('/connect/renew', async (c) => {
    try {
      return await renew(c)
    } catch (error) {
      // A database outage is answered as everywhere else (503 database_unavailable); so are the request's own faults.
      if (error instanceof AppError && error.status < 500) throw error
      services.metrics.renewal(c.get('realm').id, 'unavailable')
      if (isDatabaseDown(error)) throw error
      // The message and code only: never the request (it carries the token).
      const { message, code } = error as { message?: string; code?: string }
      services.logger.error({ err: { message, code } }, 'token renewal failed on the server side; answered 503')
      throw new AppError('unavailable', 'Token renewal is unavailable for a moment; try again shortly.')
    }
  })
  return app
}
