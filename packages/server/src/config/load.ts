import { resolve } from 'node:path'
import { DEFAULT_EVENT_RETENTION_DAYS, DEFAULT_DATA_RETENTION_DAYS } from '../domain/retention.js'

/** Everything the server needs from its environment, validated once at start-up. */
export interface ServerConfig {
  port: number
  host: string
  dataDir: string
  databaseUrl: string | undefined
  publicUrl: string
  /** The master key; when absent a key file in the data folder is used (created on first start). */
  secret: string | undefined
  smtpUrl: string | undefined
  mailFrom: string | undefined
  trustProxy: boolean
  logLevel: string
  /** How many days the event log keeps an event. */
  eventRetentionDays: number
  /** How many days ended sessions, used or expired links and mails are kept. */
  dataRetentionDays: number
  /** How long a stopping server lets requests in flight finish before it closes every connection. */
  shutdownSeconds: number
  /** Where Prometheus scrapes /metrics (AIRLOCK_METRICS_ADDRESS); undefined: no metrics at all. */
  metricsAddress: ListenAddress | undefined
}

/** A host (undefined: every interface) and port to listen on. */
export interface ListenAddress {
  host: string | undefined
  port: number
}

export interface ConfigSources {
  port?: string | undefined
  data?: string | undefined
  publicUrl?: string | undefined
  env: NodeJS.ProcessEnv
}

/** A setting that can't be used; the message names it and says what would work. */
export class ConfigError extends Error {
  constructor(setting: string, problem: string) {
    super(`${setting} ${problem}`)
    this.name = 'ConfigError'
  }
}

function origin(value: string, setting: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError(setting, `must be a URL such as https://login.example.com (got ${JSON.stringify(value)})`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(setting, `must be an http or https URL (got ${JSON.stringify(value)})`)
  if (url.pathname !== '/' || url.search || url.hash || url.username) {
    throw new ConfigError(setting, `must be an origin without a path, query or credentials, e.g. https://login.example.com (got ${JSON.stringify(value)})`)
  }
  return url.origin
}

/** `host:port`, `[IPv6]:port` or `:port` (every interface). */
function listenAddress(value: string, setting: string): ListenAddress {
  const match = /^(?:\[([\da-fA-F:.]+)\]|([\w.-]*)):(\d{1,5})$/.exec(value)
  const port = Number(match?.[3])
  if (!match || port < 1 || port > 65535) {
    throw new ConfigError(setting, `must be HOST:PORT, e.g. 127.0.0.1:9464 (or :9464 for every interface; got ${JSON.stringify(value)})`)
  }
  return { host: match[1] ?? (match[2] || undefined), port }
}

/** localhost, 127.0.0.0/8 or ::1 (a URL's `hostname`, brackets included for IPv6). */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(hostname) || hostname === '[::1]'
}

export function loadConfig({ port: portArg, data, publicUrl: publicArg, env }: ConfigSources): ServerConfig {
  const portText = portArg ?? env.PORT ?? '4000'
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new ConfigError(portArg ? '--port' : 'PORT', `must be a port number from 1 to 65535 (got ${JSON.stringify(portText)})`)
  }
  const databaseUrl = env.DATABASE_URL || undefined
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// URL (leave it unset to use SQLite in the data folder)')
  }
  const publicSetting = publicArg ? '--public-url' : 'AIRLOCK_PUBLIC_URL'
  const publicUrl = origin(publicArg ?? env.AIRLOCK_PUBLIC_URL ?? `http://localhost:${port}`, publicSetting)
  const secret = env.AIRLOCK_SECRET || undefined
  if (secret !== undefined && secret.length < 32) {
    throw new ConfigError('AIRLOCK_SECRET', `must be at least 32 characters of random text (got ${secret.length}); e.g. the output of: openssl rand -base64 32`)
  }
  const smtpUrl = env.AIRLOCK_SMTP_URL || undefined
  if (smtpUrl !== undefined && !/^smtps?:\/\/[^/]/.test(smtpUrl)) {
    throw new ConfigError('AIRLOCK_SMTP_URL', 'must be an smtp:// or smtps:// URL, e.g. smtp://user:pass@mail.example.com:587')
  }
  const trustProxy = env.AIRLOCK_TRUST_PROXY ?? 'false'
  if (trustProxy !== 'true' && trustProxy !== 'false') throw new ConfigError('AIRLOCK_TRUST_PROXY', 'must be true or false')
  // Behind a TLS-terminating proxy the public URL is https; an http one there would set cookies without Secure
  // and send no HSTS. Loopback is allowed: a proxy on the same machine serving plain http for local tries.
  if (trustProxy === 'true' && publicUrl.startsWith('http:') && !isLoopback(new URL(publicUrl).hostname)) {
    throw new ConfigError(
      publicSetting,
      `is ${publicUrl} while AIRLOCK_TRUST_PROXY=true: behind a proxy that terminates TLS the public URL must be https://... (the address browsers use); set AIRLOCK_TRUST_PROXY=false if nothing proxies this server`,
    )
  }
  const logLevel = env.LOG_LEVEL ?? 'info'
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', 'must be one of fatal, error, warn, info, debug, trace, silent')
  }
  const retentionText = env.AIRLOCK_EVENT_RETENTION_DAYS ?? String(DEFAULT_EVENT_RETENTION_DAYS)
  const eventRetentionDays = Number(retentionText)
  if (!/^\d+$/.test(retentionText) || eventRetentionDays < 1 || eventRetentionDays > 3650) {
    throw new ConfigError('AIRLOCK_EVENT_RETENTION_DAYS', `must be a number of days from 1 to 3650 (got ${JSON.stringify(retentionText)})`)
  }
  const dataRetentionText = env.AIRLOCK_DATA_RETENTION_DAYS ?? String(DEFAULT_DATA_RETENTION_DAYS)
  const dataRetentionDays = Number(dataRetentionText)
  if (!/^\d+$/.test(dataRetentionText) || dataRetentionDays < 1 || dataRetentionDays > 3650) {
    throw new ConfigError('AIRLOCK_DATA_RETENTION_DAYS', `must be a number of days from 1 to 3650 (got ${JSON.stringify(dataRetentionText)})`)
  }
  const shutdownText = env.AIRLOCK_SHUTDOWN_SECONDS ?? '10'
  const shutdownSeconds = Number(shutdownText)
  if (!/^\d+$/.test(shutdownText) || shutdownSeconds > 3600) {
    throw new ConfigError('AIRLOCK_SHUTDOWN_SECONDS', `must be a number of seconds from 0 to 3600 (got ${JSON.stringify(shutdownText)})`)
  }
  const metricsText = env.AIRLOCK_METRICS_ADDRESS || undefined
  const metricsAddress = metricsText === undefined ? undefined : listenAddress(metricsText, 'AIRLOCK_METRICS_ADDRESS')
  return {
    port,
    host: env.AIRLOCK_HOST ?? '0.0.0.0',
    dataDir: resolve(data ?? env.AIRLOCK_DATA ?? './.airlock'),
    databaseUrl,
    publicUrl,
    secret,
    smtpUrl,
    mailFrom: env.AIRLOCK_MAIL_FROM || undefined,
    trustProxy: trustProxy === 'true',
    logLevel,
    eventRetentionDays,
    dataRetentionDays,
    shutdownSeconds,
    metricsAddress,
  }
}
