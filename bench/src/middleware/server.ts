/**
 * The server under test, a child process of its own: two Express 5 apps on loopback ports.
 * - bare: `GET /` answers a constant id; no auth, no cookie parsing.
 * - noop (a diagnostic): bare behind two empty middlewares, a sync one and an async one, i.e.
 *   what Express itself charges for two layers shaped like cookieParser() and arMiddleware().
 * - auth: the guide's stack, `cookieParser()` + `arMiddleware()`, and `GET /` answers
 *   `req.authrocket.currentUser.id` (401 when nobody is logged in).
 * Both answer the same JSON shape, so the difference between them is the middleware's cost.
 */
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { arMiddleware, cookieParser } from '@airlock/express'
import type { FromServer, ToServer } from './protocol.js'
import { USER_ID } from './tokens.js'

const loginrocketUrl = process.env.LOGINROCKET_URL
if (!loginrocketUrl || !process.send) throw new Error('server.ts is started by main.ts (needs LOGINROCKET_URL and an IPC channel)')

const bare = express()
bare.get('/', (_req, res) => {
  res.json({ id: USER_ID })
})

const noop = express()
noop.use((_req, _res, next) => next())
noop.use(async (_req, _res, next) => {
  await null
  next()
})
noop.get('/', (_req, res) => {
  res.json({ id: USER_ID })
})

const auth = express()
auth.use(cookieParser())
auth.use(arMiddleware({ authrocket: { loginrocketUrl } }))
auth.get('/', (req, res) => {
  const user = req.authrocket?.currentUser
  if (!user) {
    res.status(401).json({ error: 'login_required' })
    return
  }
  res.json({ id: user.id })
})

async function serve(app: RequestListener): Promise<Server> {
  const server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

const url = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
const servers = [await serve(bare), await serve(noop), await serve(auth)] as const

const send = (message: FromServer) => process.send!(message)

process.on('message', (message: ToServer) => {
  if (message.type === 'cpu') {
    const { user, system } = process.cpuUsage()
    send({ type: 'cpu', us: user + system })
    return
  }
  for (const server of servers) server.closeAllConnections()
  // A normal exit, so that --cpu-prof writes its profile.
  process.exit(0)
})
process.on('disconnect', () => process.exit(0))

send({
  type: 'ready',
  bareUrl: url(servers[0]),
  noopUrl: url(servers[1]),
  authUrl: url(servers[2]),
  middleware: import.meta.resolve('@airlock/express'),
})
