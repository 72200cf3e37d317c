import express5 from 'express'
import { afterAll, beforeAll } from 'vitest'
import { FakeLoginRocket } from './fake-loginrocket.js'
import { serve, type Running } from './http.js'
import express4 from 'express4'
import {
  arMiddleware,
  cookieParser,
  fullLogout,
  localLogout,
  requireLogin,
  requirePermission,
  type ArMiddlewareOptions,
} from '../../src/index.js'

export const EXPRESS_VERSIONS = [
  ['Express 5', express5],
  ['Express 4', express4 as unknown as typeof express5],
] as const

export type ExpressFactory = typeof express5

/** What a route reports about the request, so tests can see the helper's view. */
export function whoami(req: express5.Request) {
  const ar = req.authrocket!
  return {
    user: ar.currentUser?.id ?? null,
    name: ar.currentUser?.name ?? null,
    org: ar.currentOrg?.id ?? null,
    permissions: ar.currentMembership?.permissions ?? [],
    session: ar.currentSession?.id ?? null,
  }
}

/**
 * The guide's app: cookieParser() before arMiddleware(), a logout route, a protected
 * sub-router with the guide's permission check, and single protected routes.
 */
export function guideApp(express: ExpressFactory, options: ArMiddlewareOptions) {
  const app = express()
  app.use('/logout', fullLogout)
  app.use('/local-logout', localLogout)
  app.use(cookieParser())
  app.use(arMiddleware(options))

  const admin = express.Router()
  admin.use(requireLogin)
  admin.use(function (req, res, next) {
    if (req.authrocket!.currentMembership!.permissions.includes('site:admin')) {
      next()
    } else {
      res.status(403).send('Forbidden')
    }
  })
  admin.get('/', (req, res) => {
    res.json(whoami(req))
  })
  app.use('/admin', admin)

  app.get('/', (req, res) => {
    res.json(whoami(req))
  })
  app.post('/', (req, res) => {
    res.json(whoami(req))
  })
  app.get('/private', requireLogin, function (req, res) {
    res.json(whoami(req))
  })
  app.get('/moderate', requirePermission('forum:moderator', /^site:/), (req, res) => {
    res.json(whoami(req))
  })
  app.get('/nav', (req, res) => {
    const ar = req.authrocket!
    res.json({
      login: ar.arLoginUrl(),
      signup: ar.arSignupUrl(),
      profile: ar.arProfileUrl({ redirect_uri: ar.requestUri() }),
      account: ar.arAccountUrl(),
      accounts: ar.arAccountsUrl({ redirect_uri: ar.requestUri() }),
      logout: ar.arLogoutUrl(),
      requestUri: ar.requestUri(),
      safeThisUri: ar.safeThisUri(),
      locals: res.locals.authrocket === ar,
    })
  })
  return app
}

/** A fake LoginRocket and the guide's app against it, for the enclosing describe block. */
export function useGuideApp(express: ExpressFactory, options: Omit<ArMiddlewareOptions, 'authrocket'> = {}) {
  const env = {} as { lr: FakeLoginRocket; app: Running }
  beforeAll(async () => {
    env.lr = await FakeLoginRocket.start()
    env.app = await serve(guideApp(express, { ...options, authrocket: { loginrocketUrl: env.lr.url } }))
  })
  afterAll(async () => {
    await env.app.close()
    await env.lr.close()
  })
  return env
}
