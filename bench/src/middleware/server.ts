/**
 * The server under test, a child process of its own: two Express 5 apps on loopback ports.
 * - bare: `GET /` answers a constant id; no auth, no cookie parsing.
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
const servers = [await serve(bare), await serve(auth)] as const

process.on('message', (message: ToServer) => {
  if (message.type !== 'exit') return
  for (const server of servers) server.closeAllConnections()
  // A normal exit, so that --cpu-prof writes its profile.
  process.exit(0)
})
process.on('disconnect', () => process.exit(0))

const ready: FromServer = {
  type: 'ready',
  bareUrl: url(servers[0]),
  authUrl: url(servers[1]),
  middleware: import.meta.resolve('@airlock/express'),
}
process.send(ready)
