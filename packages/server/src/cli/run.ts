import type { Server } from 'node:http'
import { parseArgs } from 'node:util'
import { serve, type ServerType } from '@hono/node-server'
import pino from 'pino'
import { boot } from '../bootstrap.js'
import { backup, restore } from './backup.js'
import { ConfigError, loadConfig, type ListenAddress, type ServerConfig } from '../config/load.js'
import { AppError } from '../errors/app-error.js'
import { createApp } from '../app.js'
import { metricsApp } from '../metrics/app.js'
import { adminAccountKey } from '../http/throttle.js'
import { expiredRowsRepository } from '../db/repositories/expired-rows.js'
import type { Actor } from '../domain/actor.js'
import { applyAssignments } from '../domain/realm.js'
import { outboxUrl } from '../services/outbox.js'
import { createRealm, rotateRealmKey, updateRealmSettings } from '../services/realms.js'
import { retentionService } from '../services/retention.js'
import { loginCounters, throttleService } from '../services/throttle.js'

const USAGE = `Usage:
  airlock start [--port 4000] [--data ./.airlock] [--public-url URL]
  airlock init --json [--data DIR] [--public-url URL]
  airlock realm settings [--realm ID] [KEY=VALUE ...]
  airlock realm create --name NAME --loginrocket-url URL
  airlock keys rotate [--realm ID]
  airlock admin create --email EMAIL   (password from AIRLOCK_ADMIN_PASSWORD or one line on stdin)
  airlock admin reset-password --email EMAIL   (the same; ends the admin's sessions and login lockout)
  airlock backup --out FILE [--data DIR]   (SQLite, while servers run; without the master key)
  airlock restore --from FILE [--data DIR]   (into a folder with no database; needs the backed-up master key)

Environment: PORT, AIRLOCK_DATA, DATABASE_URL, AIRLOCK_PUBLIC_URL, AIRLOCK_SECRET, AIRLOCK_SMTP_URL,
AIRLOCK_MAIL_FROM, AIRLOCK_TRUST_PROXY, AIRLOCK_HOST, AIRLOCK_EVENT_RETENTION_DAYS, AIRLOCK_DATA_RETENTION_DAYS, AIRLOCK_SHUTDOWN_SECONDS,
AIRLOCK_METRICS_ADDRESS, LOG_LEVEL.`

/** Whoever runs the CLI: they own the server, and the log marks their changes `via: 'cli'`. */
const CLI: Actor = { kind: 'cli' }

const OPTIONS = {
  port: { type: 'string' },
  data: { type: 'string' },
  'public-url': { type: 'string' },
  realm: { type: 'string' },
  name: { type: 'string' },
  'loginrocket-url': { type: 'string' },
  email: { type: 'string' },
  out: { type: 'string' },
  from: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

async function realmFor(booted: Awaited<ReturnType<typeof boot>>, id: string | undefined) {
  if (id === undefined) return booted.realm
  const realm = await booted.services.realms.byId(id)
  if (!realm) throw new AppError('not_found', `no realm with id ${id}`)
  return realm
}

async function summary(booted: Awaited<ReturnType<typeof boot>>) {
  const { services, realm } = booted
  const now = services.clock()
  // A fresh one-time link (earlier ones keep working) while the portal has no admin; null afterwards.
  const setup = await services.admins.setupSecret(now)
  return {
    realm_id: realm.id,
    loginrocket_url: services.loginrocketUrlOf(realm),
    jwt_key: await services.keys.appKey(realm, now),
    admin_setup_url: setup === null ? null : `${services.publicUrl}/admin/setup?token=${setup}`,
  }
}

/** The first line of a stream (the password for `admin create`), without its line break. */
async function firstLine(stream: AsyncIterable<string | Buffer>): Promise<string> {
  let text = ''
  for await (const chunk of stream) {
    text += chunk.toString()
    if (text.includes('\n')) break
  }
  return text.split(/\r?\n/)[0] ?? ''
}

/** `airlock admin create --email EMAIL`: for scripts and recovery; refuses a weak password or a taken email. */
async function createAdmin(booted: Awaited<ReturnType<typeof boot>>, email: string | undefined, io: CliIo): Promise<void> {
  if (!email) throw new ConfigError('--email', 'is required: airlock admin create --email EMAIL')
  const password = io.env.AIRLOCK_ADMIN_PASSWORD ?? (io.stdin ? await firstLine(io.stdin) : '')
  const created = await booted.services.admins.create(email, password, null, booted.services.clock())
  if (!created.ok) {
    const [name, problem] = Object.entries(created.errors)[0]!
    throw new AppError('invalid_setting', `admin create: ${name}: ${problem}`, { setting: name })
  }
  await booted.services.events.record(
    { type: 'admin.created', realmId: null, adminId: created.value.id, data: { email: created.value.email, via: 'cli' } },
    booted.services.clock(),
  )
  io.stdout.write(`${JSON.stringify({ admin_id: created.value.id, email: created.value.email })}\n`)
}

/**
 * `airlock admin reset-password --email EMAIL`: the way back in for an admin who is locked out or forgot their
 * password (whoever can run this on the server owns it anyway). Their sessions end, and their failed logins
 * are forgotten.
 */
async function resetAdminPassword(booted: Awaited<ReturnType<typeof boot>>, email: string | undefined, io: CliIo): Promise<void> {
  if (!email) throw new ConfigError('--email', 'is required: airlock admin reset-password --email EMAIL')
  const { services } = booted
  const password = io.env.AIRLOCK_ADMIN_PASSWORD ?? (io.stdin ? await firstLine(io.stdin) : '')
  const reset = await services.admins.resetPassword(email, password, services.clock())
  if (!reset.ok) {
    const [name, problem] = Object.entries(reset.errors)[0]!
    throw new AppError('invalid_setting', `admin reset-password: ${name}: ${problem}`, { setting: name })
  }
  await throttleService(services.db, services.logger, booted.csrfKey).settle({ refund: [], clear: [], forget: loginCounters(adminAccountKey(reset.value.email)) })
  await services.events.record(
    { type: 'admin.password.updated', realmId: null, adminId: reset.value.id, data: { email: reset.value.email, via: 'cli', other_sessions: 'ended' } },
    services.clock(),
  )
  io.stdout.write(`${JSON.stringify({ admin_id: reset.value.id, email: reset.value.email, sessions: 'ended' })}\n`)
}

export interface CliIo {
  env: NodeJS.ProcessEnv
  stdout: { write(text: string): unknown }
  /** Where `admin create` reads the password when AIRLOCK_ADMIN_PASSWORD is not set. */
  stdin?: AsyncIterable<string | Buffer>
}

export interface Running {
  url: string
  stop(): Promise<void>
}

/** Resolves once the server listens; rejects with the reason it can't (a port already taken). */
function listening(server: ServerType): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
}

/** The metrics address as a URL, for the banner. */
const metricsUrl = ({ host = '0.0.0.0', port }: ListenAddress) => `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`

/** `airlock start`: serves until stopped; the caller decides what stops it (signals, in main.ts). */
export async function start(config: ServerConfig, io: CliIo): Promise<Running> {
  const logger = pino({ level: config.logLevel })
  const { metricsAddress } = config
  // Loaded only when asked for: without AIRLOCK_METRICS_ADDRESS, prom-client is never imported.
  const prometheus = metricsAddress && (await import('../metrics/prometheus.js')).prometheusMetrics()
  const booted = await boot(config, logger, prometheus?.metrics)
  prometheus?.watchPool(booted.services.db)
  const app = createApp(booted.services, { trustProxy: config.trustProxy, csrfKey: booted.csrfKey })
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host })
  await listening(server)
  // Its own listener, never the public one: what the metrics tell (traffic, failures, realm ids) is for operators.
  const metricsServer = metricsAddress && prometheus && serve({ fetch: metricsApp(prometheus.registry).fetch, port: metricsAddress.port, hostname: metricsAddress.host })
  if (metricsServer) {
    try {
      await listening(metricsServer)
    } catch (error) {
      server.close()
      await booted.close()
      throw new ConfigError('AIRLOCK_METRICS_ADDRESS', `can't be listened on: ${(error as Error).message}`)
    }
  }
  const retention = retentionService(expiredRowsRepository(booted.services.db.kysely), config.dataRetentionDays)
  const stopping = new AbortController()
  let pruned: Promise<unknown> = Promise.resolve()
  // Sessions, links and mails in the background (a first start after an upgrade may have a large backlog); stop() ends it between batches.
  const pruneData = () =>
    (pruned = retention.prune(booted.services.clock(), stopping.signal).catch((error: unknown) => logger.error({ err: error }, 'old sessions, links and mails not pruned')))
  const prune = async () => {
    await booted.services.events.prune(booted.services.clock()).catch((error: unknown) => logger.error({ err: error }, 'old events not pruned'))
    void pruneData()
  }
  await prune()
  // Hourly, and never what keeps the process alive.
  const pruning = setInterval(prune, 3_600_000).unref()
  const info = await summary(booted)
  const outbox = outboxUrl(booted.services, booted.realm)
  io.stdout.write(
    [
      `Airlock is running at ${config.publicUrl}`,
      `  Realm "${booted.realm.name}" (${info.realm_id})${booted.created ? ', created now' : ''}`,
      `  LOGINROCKET_URL=${info.loginrocket_url}`,
      `  AUTHROCKET_JWT_KEY=${info.jwt_key}`,
      `  Data: ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : config.dataDir}`,
      // Never the SMTP URL itself: it may hold a password.
      outbox ? `  Mail: no AIRLOCK_SMTP_URL, so mails go to the outbox at ${outbox} and to the log` : '  Mail: sent through the SMTP server in AIRLOCK_SMTP_URL',
      ...(metricsAddress ? [`  Metrics: ${metricsUrl(metricsAddress)}`] : []),
      ...(info.admin_setup_url ? [`  First admin: ${info.admin_setup_url}`, '    (a one-time link, valid for 24 hours)'] : []),
      '',
    ].join('\n'),
  )
  return {
    url: config.publicUrl,
    async stop() {
      clearInterval(pruning)
      stopping.abort()
      // Nothing to finish there: a scrape can be made again.
      if (metricsServer) {
        metricsServer.close()
        ;(metricsServer as Server).closeAllConnections()
      }
      // No new connections; idle ones close now, requests in flight may finish until the deadline. Then every
      // socket closes, so a slow or stuck client can't keep a server that no longer serves alive.
      const closed = new Promise((resolve) => server.close(resolve))
      const deadline = setTimeout(() => (server as Server).closeAllConnections(), config.shutdownSeconds * 1000)
      await closed
      clearTimeout(deadline)
      await pruned
      await booted.close()
    },
  }
}

/**
 * Runs one CLI command. Returns the running server for `start`; throws ConfigError or AppError
 * (with a message naming what is wrong) for bad input.
 */
export async function runCli(argv: string[], io: CliIo): Promise<Running | void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  const [command, sub, ...rest] = positionals
  if (values.help || command === undefined) {
    io.stdout.write(`${USAGE}\n`)
    return
  }
  const config = loadConfig({ port: values.port, data: values.data, publicUrl: values['public-url'], env: io.env })

  if (command === 'start') return start(config, io)
  // Before boot, which would create a database (and a master key) where there is none.
  if (command === 'backup') return backup(config, values.out, io)
  if (command === 'restore') return restore(config, values.from ?? sub, io)

  const quiet = pino({ level: 'silent' })
  const booted = await boot(config, quiet)
  try {
    if (command === 'init') {
      const info = await summary(booted)
      io.stdout.write(values.json ? `${JSON.stringify(info)}\n` : `${Object.entries(info).map(([k, v]) => `${k}: ${v}`).join('\n')}\n`)
    } else if (command === 'realm' && sub === 'settings') {
      const realm = await realmFor(booted, values.realm)
      const settings = applyAssignments(realm.settings, rest)
      if (rest.length > 0) {
        const changed = [...new Set(rest.map((assignment) => assignment.split('=')[0]!))]
        await updateRealmSettings(booted.services, realm, settings, { actor: CLI, changed }, booted.services.clock())
      }
      io.stdout.write(`${JSON.stringify(settings, null, 2)}\n`)
    } else if (command === 'realm' && sub === 'create') {
      const realm = await createRealm(booted.services, values.name, values['loginrocket-url'], CLI)
      io.stdout.write(
        `${JSON.stringify({ realm_id: realm.id, loginrocket_url: realm.loginrocketUrl, jwt_key: await booted.services.keys.appKey(realm, booted.services.clock()) })}\n`,
      )
    } else if (command === 'admin' && sub === 'create') {
      await createAdmin(booted, values.email, io)
    } else if (command === 'admin' && sub === 'reset-password') {
      await resetAdminPassword(booted, values.email, io)
    } else if (command === 'keys' && sub === 'rotate') {
      const realm = await realmFor(booted, values.realm)
      const key = await rotateRealmKey(booted.services, realm, CLI, booted.services.clock())
      io.stdout.write(`${JSON.stringify({ kid: key.id, published_at: key.createdAt, signs_from: key.signsFrom })}\n`)
    } else {
      throw new ConfigError(`"${positionals.join(' ')}"`, `is not a command.\n${USAGE}`)
    }
  } finally {
    await booted.close()
  }
}

