/**
 * The server under test: a data folder prepared through the server's own services, and `airlock start`
 * (the built CLI, exactly as `npx @airlock/server start` runs it) in a child process, optionally pinned to a core.
 */
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { processCpuUs } from '../lib/cpu.js'
import { freePort, spawnOn, stopChild } from '../lib/proc.js'
import { cliPath, loadServer, type Realm, type User } from './dist.js'

/** Every benchmark user's password (the accounts live in a throwaway temp folder). */
export const PASSWORD = 'correct horse battery staple'
/** The app the login flow sends the browser back to: the realm's Login URL. Nothing listens there. */
export const APP_URL = 'http://localhost:3000/'

export const emailOf = (i: number) => `bench-user-${i}@example.com`

/** A fresh temp folder for a data dir; the caller removes it (removeDir). */
export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `airlock-bench-${label}-`))
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

export interface Prepared {
  port: number
  /** The server's public URL, http://127.0.0.1:PORT: the issuer of its tokens. */
  url: string
  dataDir: string
  realmId: string
  emails: string[]
  /** Login tokens of `sessions` distinct LoginRocket sessions, round-robin over the users. */
  tokens: string[]
}

/**
 * Creates the database (migrations, the default realm and its RSA key) with the server's own boot(),
 * sets the realm's Login URL, signs `users` users up through the user service (argon2id, as the signup
 * form does) and starts `sessions` LoginRocket sessions with a token each, as a login would.
 */
export async function prepareData(options: { dataDir: string; users: number; sessions?: number; port?: number; firstUser?: number }): Promise<Prepared> {
  const server = await loadServer()
  const port = options.port ?? (await freePort())
  const url = `http://127.0.0.1:${port}`
  const config = server.loadConfig({ port: String(port), data: options.dataDir, publicUrl: url, env: { LOG_LEVEL: 'silent' } })
  const booted = await server.boot(config)
  try {
    const { services } = booted
    const realm: Realm = { ...booted.realm, settings: server.applyAssignments(booted.realm.settings, [`login_urls=${APP_URL}`]) }
    await services.realms.updateSettings(realm.id, realm.settings, services.clock())

    const users: User[] = []
    const first = options.firstUser ?? 0
    // Four at a time: the signups hash on libuv's pool (four threads), so both cores help.
    for (let i = first; i < first + options.users; i += 4) {
      const batch = []
      for (let j = i; j < Math.min(i + 4, first + options.users); j++) {
        batch.push(
          services.signups.signup(realm, { email: emailOf(j), password: PASSWORD, firstName: 'Bench', lastName: `User ${j}`, username: '' }, services.clock()),
        )
      }
      for (const outcome of await Promise.all(batch)) {
        if (!outcome.ok) throw new Error(`signup failed: ${JSON.stringify(outcome.errors)}`)
        users.push(outcome.value.user)
      }
    }

    const tokens: string[] = []
    for (let i = 0; i < (options.sessions ?? 0); i++) {
      const user = users[i % users.length]!
      const now = services.clock()
      const { session } = await services.sessions.start(realm, user.id, { userAgent: 'airlock-bench', ip: '127.0.0.1' }, now)
      tokens.push(await services.tokens.issue(realm, url, user, session, now))
    }
    return { port, url, dataDir: options.dataDir, realmId: realm.id, emails: users.map((u) => u.email), tokens }
  } finally {
    await booted.close()
  }
}

/** The environment `airlock start` gets: SQLite in the data dir, a secret key file there, no SMTP, default logging. */
function serverEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, AIRLOCK_HOST: '127.0.0.1', ...extra }
  for (const name of ['DATABASE_URL', 'AIRLOCK_SECRET', 'AIRLOCK_SMTP_URL', 'AIRLOCK_DATA', 'AIRLOCK_PUBLIC_URL', 'PORT', 'AIRLOCK_TRUST_PROXY', 'NODE_OPTIONS']) {
    if (!(name in extra)) delete env[name]
  }
  if (!('LOG_LEVEL' in extra)) delete env.LOG_LEVEL
  return env
}

export interface StartOptions {
  dataDir: string
  port: number
  /** The core to pin the whole process to (taskset), or null for none. */
  core: number | null
  /** Extra environment, e.g. UV_THREADPOOL_SIZE. */
  env?: Record<string, string>
  /** Options for node itself, before the CLI (e.g. --cpu-prof). */
  nodeArgs?: string[]
  /** Another build's CLI (`…/dist/cli/main.js`) instead of the one under test. */
  cli?: string
}

/** `node packages/server/dist/cli/main.js start --port P --data DIR --public-url http://127.0.0.1:P`. */
export function spawnAirlock({ dataDir, port, core, env = {}, nodeArgs = [], cli = cliPath }: StartOptions): ChildProcess {
  // stdout (pino's request log, one JSON line a request, as in production) goes to /dev/null: draining a pipe
  // would cost this process CPU. stderr is kept for error messages.
  return spawnOn(core, process.execPath, [...nodeArgs, cli, 'start', '--port', String(port), '--data', dataDir, '--public-url', `http://127.0.0.1:${port}`], {
    env: serverEnv(env),
    stdio: ['ignore', 'ignore', 'pipe'],
  })
}

/** One GET; the status, or 0 when the connection failed. */
export function getStatus(url: string, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
      res.on('error', () => resolve(0))
    })
    req.on('error', () => resolve(0))
    req.on('timeout', () => req.destroy())
    req.end()
  })
}

/**
 * Polls `GET /healthz` every `intervalMs` until it answers 200; resolves with performance.now() at that
 * answer. Fails when the process exits first or after `timeoutMs`.
 */
export async function waitHealthy(proc: ChildProcess, url: string, { intervalMs = 5, timeoutMs = 30_000 } = {}): Promise<number> {
  const deadline = performance.now() + timeoutMs
  let stderr = ''
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`airlock start exited (${proc.exitCode ?? proc.signalCode}) before it was healthy:\n${stderr}`)
    const status = await getStatus(`${url}/healthz`, 1000)
    if (status === 200) return performance.now()
    if (performance.now() > deadline) throw new Error(`airlock start was not healthy after ${timeoutMs} ms (last status ${status}):\n${stderr}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

export interface Airlock {
  proc: ChildProcess
  pid: number
  url: string
  /** The process's CPU time so far (all threads), in microseconds. */
  cpuUs(): number
  stop(): Promise<void>
}

/** Starts `airlock start` and waits until /healthz answers 200. */
export async function startAirlock(options: StartOptions): Promise<Airlock> {
  const proc = spawnAirlock(options)
  const url = `http://127.0.0.1:${options.port}`
  try {
    await waitHealthy(proc, url)
  } catch (error) {
    await stopChild(proc)
    throw error
  }
  return {
    proc,
    pid: proc.pid!,
    url,
    cpuUs: () => processCpuUs(proc.pid!),
    // SIGTERM: the CLI closes the server and the database and exits 0 (so --cpu-prof writes its profile).
    stop: () => stopChild(proc, 10_000),
  }
}

/** Waits for a child's exit without throwing. */
export async function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return
  await once(proc, 'exit')
}

export interface LoginTiming {
  /** From sending GET /login to the 303 with the token. */
  totalMs: number
  /** The POST alone: the password check, the session, the token. */
  postMs: number
}

/**
 * One full login as a browser does it, with fetch: GET /login?redirect_uri=… (its csrf field and cookie),
 * then POST the form with `password`. Throws unless the answer is a 303 to the app with a token (or, with
 * `expect: 401`, a 401: a wrong password).
 */
export async function browserLogin(origin: string, email: string, password = PASSWORD, expect: 303 | 401 = 303): Promise<LoginTiming> {
  const path = `${origin}/login?redirect_uri=${encodeURIComponent(APP_URL)}`
  const started = performance.now()
  const form = await fetch(path)
  const html = await form.text()
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1]
  const cookie = form.headers
    .getSetCookie()
    .map((c) => c.split(';', 1)[0]!)
    .find((c) => c.startsWith('lr_csrf='))
  if (form.status !== 200 || !csrf || !cookie) throw new Error(`GET /login: ${form.status}, csrf ${csrf ? 'found' : 'missing'}, cookie ${cookie ?? 'missing'}`)
  const posted = performance.now()
  const answer = await fetch(path, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ csrf, redirect_uri: APP_URL, email, password }),
  })
  await answer.arrayBuffer()
  const done = performance.now()
  const location = answer.headers.get('location') ?? ''
  if (expect === 401 ? answer.status !== 401 : answer.status !== 303 || !location.startsWith(APP_URL) || !/[?&]token=[\w-]+\.[\w-]+\.[\w-]+/.test(location)) {
    throw new Error(`POST /login for ${email} got ${answer.status} ${location}, not ${expect === 401 ? '401' : `a 303 to ${APP_URL} with a token`}`)
  }
  return { totalMs: done - started, postMs: done - posted }
}
