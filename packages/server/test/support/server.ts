import { mkdtempSync, rmSync } from 'node:fs'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getRequestListener } from '@hono/node-server'
import pino, { type Logger } from 'pino'
import { boot, type Booted } from '../../src/bootstrap.js'
import { loadConfig } from '../../src/config/load.js'
import { createApp } from '../../src/app.js'
import { applyAssignments } from '../../src/domain/realm.js'
import { updateRealmSettings } from '../../src/services/realms.js'
import { freshPostgres } from './dialects.js'

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
    probe.on('error', reject)
  })
}

export interface TestServer {
  url: string
  booted: Booted
  dataDir: string
  databaseUrl: string | undefined
  /** Changes the default realm's settings as `airlock realm settings KEY=VALUE` would. */
  settings(...assignments: string[]): Promise<void>
  close(): Promise<void>
}

export interface StartOptions {
  dialect: 'sqlite' | 'postgres'
  /** Settings for the default realm, as KEY=VALUE. */
  settings?: string[]
  env?: Record<string, string>
  /** Where the server logs; silent by default. */
  logger?: Logger
  /** Serve an existing PostgreSQL database (another test server's) instead of a fresh one; it is not dropped on close. */
  databaseUrl?: string
  /** Trust X-Forwarded-For/-Host (tests give each client its own address this way). */
  trustProxy?: boolean
  /** Prepares the fresh data folder before the server opens it (e.g. mounts a tiny file system on it). */
  beforeOpen?: (dataDir: string) => void
}

/** A real Airlock server on a loopback port, on a fresh SQLite file or PostgreSQL database. */
export async function startServer({
  dialect,
  settings = [],
  env = {},
  logger = pino({ level: 'silent' }),
  databaseUrl,
  trustProxy = false,
  beforeOpen,
}: StartOptions): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-test-'))
  beforeOpen?.(dataDir)
  const database =
    dialect !== 'postgres' ? null : databaseUrl ? { url: databaseUrl, drop: () => Promise.resolve() } : await freshPostgres()
  // Listening before the server boots, on a port of its own choosing: a port picked free and bound later can be
  // taken by another process in between (EADDRINUSE). Requests wait for the app, which needs the port in its URL.
  let listener: ReturnType<typeof getRequestListener> | undefined
  const server: Server = createHttpServer((request, response) => void listener?.(request, response))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  let booted: Booted
  try {
    const config = loadConfig({
      port: String(port),
      data: dataDir,
      publicUrl: `http://127.0.0.1:${port}`,
      env: { ...(database ? { DATABASE_URL: database.url } : {}), LOG_LEVEL: 'silent', ...env },
    })
    booted = await boot(config, logger)
  } catch (error) {
    server.close()
    throw error
  }
  listener = getRequestListener(createApp(booted.services, { trustProxy, csrfKey: booted.csrfKey }).fetch)

  const testServer: TestServer = {
    url: `http://127.0.0.1:${port}`,
    booted,
    dataDir,
    databaseUrl: database?.url,
    async settings(...assignments) {
      const { services } = booted
      const realm = (await services.realms.byId(booted.realm.id))!
      const changed = assignments.map((assignment) => assignment.split('=')[0]!)
      await updateRealmSettings(services, realm, applyAssignments(realm.settings, assignments), { actor: { kind: 'cli' }, changed }, services.clock())
    },
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await booted.close()
      await database?.drop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
  if (settings.length > 0) await testServer.settings(...settings)
  return testServer
}
