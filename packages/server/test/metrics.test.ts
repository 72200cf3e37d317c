import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, type Running } from '../src/cli/run.js'
import { LIMITS } from '../src/services/throttle.js'
import { Browser, tokenFrom } from './support/browser.js'
import { cli } from './support/cli.js'
import { freshPostgres } from './support/dialects.js'
import { MailCatcher } from './support/mail-catcher.js'
import { freePort } from './support/server.js'

const bin = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js')
const APP = 'http://localhost:3000'
const back = `redirect_uri=${encodeURIComponent(APP)}`
const PASSWORD = 'correct horse battery'
const ADMIN_PASSWORD = 'a long passphrase nobody guesses'

/** An Airlock started as `airlock start` does, on loopback, with its realm ready for the app at APP. */
async function startAirlock(env: Record<string, string>) {
  const data = mkdtempSync(join(tmpdir(), 'airlock-metrics-'))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const fullEnv = { LOG_LEVEL: 'silent', AIRLOCK_HOST: '127.0.0.1', DATABASE_URL: '', ...env }
  const { realm_id: realmId } = JSON.parse(await cli(['init', '--json', '--data', data, '--public-url', url], fullEnv)) as { realm_id: string }
  await cli(['realm', 'settings', '--data', data, `login_urls=${APP}`, 'email_verification=none'], fullEnv)
  let banner = ''
  const running = (await runCli(['start', '--data', data, '--port', String(port), '--public-url', url], {
    env: fullEnv,
    stdout: { write: (text: string) => (banner += text) },
  })) as Running
  return {
    url,
    data,
    env: fullEnv,
    realmId,
    banner,
    async stop() {
      await running.stop()
      rmSync(data, { recursive: true, force: true })
    },
  }
}

type Airlock = Awaited<ReturnType<typeof startAirlock>>

async function scrape(metricsUrl: string): Promise<string> {
  const res = await fetch(metricsUrl)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  return res.text()
}

/** The value of the sample `name` whose labels include `labels`; 0 when there is none (a counter never moved). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`)
  const values = text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => wanted.every((pair) => line.slice(0, line.lastIndexOf(' ')).includes(pair)))
    .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)))
  expect(values.length, `${name}{${wanted.join(',')}} matches ${values.length} samples`).toBeLessThanOrEqual(1)
  return values[0] ?? 0
}

/** Every value the label `label` takes in the samples of `name`. */
function labelValues(text: string, name: string, label: string): Set<string> {
  const found = new Set<string>()
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue
    const value = new RegExp(`[{,]${label}="([^"]*)"`).exec(line)?.[1]
    if (value !== undefined) found.add(value)
  }
  return found
}

/** Scrapes until `name{labels}` reaches `value` (mails are sent after the answer), or gives up after 5 s. */
async function scrapeUntil(metricsUrl: string, name: string, labels: Record<string, string>, value: number): Promise<string> {
  const deadline = Date.now() + 5000
  let text = await scrape(metricsUrl)
  while (sample(text, name, labels) < value && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    text = await scrape(metricsUrl)
  }
  return text
}

async function signUp(airlock: Airlock, email: string): Promise<string> {
  const browser = new Browser(airlock.url)
  await browser.get(`/signup?${back}`)
  const res = await browser.post(`/signup?${back}`, { email, password: PASSWORD, first_name: 'Ann' })
  expect(res.status).toBe(303)
  return tokenFrom(res)
}

async function logIn(airlock: Airlock, email: string, password: string): Promise<Response> {
  const browser = new Browser(airlock.url)
  await browser.get(`/login?${back}`)
  return browser.post(`/login?${back}`, { email, password })
}

async function adminLogIn(airlock: Airlock, email: string, password: string): Promise<Response> {
  const browser = new Browser(airlock.url)
  await browser.get('/admin/login')
  return browser.post('/admin/login', { email, password })
}

const renew = (airlock: Airlock, token: string) => fetch(`${airlock.url}/connect/renew`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })

async function forgot(airlock: Airlock, email: string): Promise<void> {
  const browser = new Browser(airlock.url)
  await browser.get('/forgot')
  expect((await browser.post('/forgot', { email })).status).toBe(200)
}

/** Resolves with whether anything accepts connections on the port. */
function listensOn(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/metrics`).then(
    () => true,
    () => false,
  )
}

describe('metrics on AIRLOCK_METRICS_ADDRESS (SQLite, mail to a real SMTP server)', () => {
  let catcher: MailCatcher
  let airlock: Airlock
  let metricsPort: number
  let metricsUrl: string

  beforeAll(async () => {
    catcher = await MailCatcher.start()
    metricsPort = await freePort()
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`
    airlock = await startAirlock({ AIRLOCK_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`, AIRLOCK_SMTP_URL: catcher.url })
  })
  afterAll(async () => {
    await airlock?.stop()
    await catcher?.close()
  })

  it('says where the metrics are in the start banner', () => {
    expect(airlock.banner).toContain(`  Metrics: ${metricsUrl}\n`)
  })

  it('counts signups, logins, renewals, rate-limit refusals and mails by exactly what happened', async () => {
    const realm = airlock.realmId
    const before = await scrape(metricsUrl)
    const count = (text: string, name: string, labels: Record<string, string> = {}) => sample(text, name, labels) - sample(before, name, labels)

    const email = 'ann@example.com'
    const token = await signUp(airlock, email)
    expect((await logIn(airlock, email, 'not the password')).status).toBe(401)
    expect((await logIn(airlock, email, PASSWORD)).status).toBe(303)
    expect((await renew(airlock, token)).status).toBe(200)
    expect((await renew(airlock, 'forged.token.value')).status).toBe(401)
    // One address guessing one account: the failures up to the limit, then a refusal.
    for (let i = 0; i < LIMITS.login_account_ip.points; i++) expect((await logIn(airlock, 'victim@example.com', `guess ${i}`)).status).toBe(401)
    expect((await logIn(airlock, 'victim@example.com', 'one guess too many')).status).toBe(429)
    await forgot(airlock, email)
    await catcher.waitFor(email)
    await cli(['admin', 'create', '--data', airlock.data, '--email', 'ops@example.com'], { ...airlock.env, AIRLOCK_ADMIN_PASSWORD: ADMIN_PASSWORD })
    expect((await adminLogIn(airlock, 'ops@example.com', 'not the password')).status).toBe(401)
    expect((await adminLogIn(airlock, 'ops@example.com', ADMIN_PASSWORD)).status).toBe(303)

    const after = await scrapeUntil(metricsUrl, 'airlock_mails_total', { result: 'sent' }, sample(before, 'airlock_mails_total', { result: 'sent' }) + 1)
    expect(count(after, 'airlock_signups_total', { realm })).toBe(1)
    // The signup logged Ann in, then her own login.
    expect(count(after, 'airlock_logins_total', { realm, result: 'succeeded' })).toBe(2)
    expect(count(after, 'airlock_logins_total', { realm, result: 'failed' })).toBe(1 + LIMITS.login_account_ip.points)
    expect(count(after, 'airlock_admin_logins_total', { result: 'failed' })).toBe(1)
    expect(count(after, 'airlock_admin_logins_total', { result: 'succeeded' })).toBe(1)
    expect(count(after, 'airlock_token_renewals_total', { realm, result: 'renewed' })).toBe(1)
    expect(count(after, 'airlock_token_renewals_total', { realm, result: 'session_ended' })).toBe(1)
    expect(count(after, 'airlock_rate_limited_total', { limit: 'login_account_ip' })).toBe(1)
    expect(count(after, 'airlock_rate_limited_total')).toBe(1)
    expect(count(after, 'airlock_mails_total', { result: 'sent' })).toBe(1)
    expect(count(after, 'airlock_mails_total', { result: 'failed' })).toBe(0)
    // And prom-client's process metrics.
    expect(sample(after, 'process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(after).toContain('nodejs_eventloop_lag_seconds')
  })

  it('labels request durations with the route pattern that served them; any other path is "unmatched"', async () => {
    const browser = new Browser(airlock.url)
    const unknownOrg = `org_${Math.random().toString(36).slice(2)}`
    await browser.get(`/accounts/${unknownOrg}`)
    for (let i = 0; i < 20; i++) expect((await fetch(`${airlock.url}/scan-${i}-${Math.random().toString(36).slice(2)}`)).status).toBe(404)
    await fetch(`${airlock.url}/login`, { method: 'PROPFIND' })
    const text = await scrape(metricsUrl)
    const routes = labelValues(text, 'airlock_http_request_duration_seconds_count', 'route')
    expect(routes).toContain('/login')
    expect(routes).toContain('/signup')
    expect(routes).toContain('/connect/renew')
    expect(routes).toContain('/accounts/:org_id')
    expect(routes).toContain('unmatched')
    expect([...routes].filter((route) => route.includes('scan-') || route.includes(unknownOrg))).toEqual([])
    expect(sample(text, 'airlock_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(20)
    expect(labelValues(text, 'airlock_http_request_duration_seconds_count', 'method')).toEqual(new Set(['GET', 'POST', 'other']))
    // The refused login is labelled with its route, though a middleware answered it.
    expect(sample(text, 'airlock_http_request_duration_seconds_count', { method: 'POST', route: '/login', status: '429' })).toBe(1)
    expect(sample(text, 'airlock_http_request_duration_seconds_bucket', { method: 'POST', route: '/login', status: '303', le: '+Inf' })).toBe(1)
  })

  it('serves only /metrics on its own address, and the public port has no /metrics', async () => {
    expect((await fetch(`http://127.0.0.1:${metricsPort}/login`)).status).toBe(404)
    expect((await fetch(`http://127.0.0.1:${metricsPort}/`)).status).toBe(404)
    const pub = await fetch(`${airlock.url}/metrics`)
    expect(pub.status).toBe(404)
    expect(await pub.text()).not.toContain('airlock_')
  })

  it('without SMTP counts mails kept in the outbox; a bare :PORT works, and stops listening with the server', async () => {
    const other = await freePort()
    const second = await startAirlock({ AIRLOCK_METRICS_ADDRESS: `:${other}` })
    try {
      await signUp(second, 'bob@example.com')
      await forgot(second, 'bob@example.com')
      const text = await scrapeUntil(`http://127.0.0.1:${other}/metrics`, 'airlock_mails_total', { result: 'outbox' }, 1)
      expect(sample(text, 'airlock_mails_total', { result: 'outbox' })).toBe(1)
      expect(sample(text, 'airlock_mails_total', { result: 'sent' })).toBe(0)
    } finally {
      await second.stop()
    }
    expect(await listensOn(other)).toBe(false)
  })
})

describe('metrics on PostgreSQL, with an SMTP server that is down', () => {
  let airlock: Airlock
  let drop: () => Promise<void>
  let metricsUrl: string

  beforeAll(async () => {
    const database = await freshPostgres()
    drop = database.drop
    const metricsPort = await freePort()
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`
    const closedPort = await freePort()
    airlock = await startAirlock({ DATABASE_URL: database.url, AIRLOCK_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`, AIRLOCK_SMTP_URL: `smtp://127.0.0.1:${closedPort}` })
  })
  afterAll(async () => {
    await airlock?.stop()
    await drop?.()
  })

  it('reports the connection pool at each scrape', async () => {
    await signUp(airlock, 'pool@example.com')
    const text = await scrape(metricsUrl)
    expect(sample(text, 'airlock_db_pool_max_connections')).toBe(10)
    expect(sample(text, 'airlock_db_pool_connections')).toBeGreaterThanOrEqual(1)
    expect(sample(text, 'airlock_db_pool_idle_connections')).toBeLessThanOrEqual(sample(text, 'airlock_db_pool_connections'))
    expect(text).toMatch(/^airlock_db_pool_waiting_queries 0$/m)
    expect(sample(text, 'airlock_signups_total', { realm: airlock.realmId })).toBe(1)
  })

  it('counts a mail the SMTP server never took as failed', async () => {
    await forgot(airlock, 'pool@example.com')
    const text = await scrapeUntil(metricsUrl, 'airlock_mails_total', { result: 'failed' }, 1)
    expect(sample(text, 'airlock_mails_total', { result: 'failed' })).toBe(1)
    expect(sample(text, 'airlock_mails_total', { result: 'sent' })).toBe(0)
  })
})

describe('AIRLOCK_METRICS_ADDRESS', () => {
  it('unset: no metrics listener, and the public port has no /metrics', async () => {
    const airlock = await startAirlock({})
    try {
      expect(airlock.banner).not.toContain('Metrics')
      expect((await fetch(`${airlock.url}/metrics`)).status).toBe(404)
    } finally {
      await airlock.stop()
    }
  })

  it('a value that is not HOST:PORT stops the start, naming the setting', async () => {
    const data = mkdtempSync(join(tmpdir(), 'airlock-metrics-bad-'))
    const port = String(await freePort())
    for (const bad of ['9464', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', 'http://127.0.0.1:9464', '[::1:9464', 'host name:9464']) {
      await expect(cli(['start', '--data', data, '--port', port], { DATABASE_URL: '', AIRLOCK_METRICS_ADDRESS: bad })).rejects.toThrow(/^AIRLOCK_METRICS_ADDRESS must be HOST:PORT/)
    }
    rmSync(data, { recursive: true, force: true })
  })

  it('the airlock binary exits 2 with a message naming the setting', () => {
    const data = mkdtempSync(join(tmpdir(), 'airlock-metrics-bin-'))
    const result = spawnSync(process.execPath, [bin, 'start', '--data', data], {
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'silent', AIRLOCK_METRICS_ADDRESS: 'localhost' },
    })
    rmSync(data, { recursive: true, force: true })
    expect(result.stderr).toBe('airlock: AIRLOCK_METRICS_ADDRESS must be HOST:PORT, e.g. 127.0.0.1:9464 (or :9464 for every interface; got "localhost")\n')
    expect(result.status).toBe(2)
  })

  it('a port already taken stops the start, naming the setting, and leaves the public port free', async () => {
    const taken: Server = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const takenPort = (taken.address() as { port: number }).port
    const data = mkdtempSync(join(tmpdir(), 'airlock-metrics-taken-'))
    const port = await freePort()
    try {
      await expect(
        runCli(['start', '--data', data, '--port', String(port)], {
          env: { LOG_LEVEL: 'silent', AIRLOCK_HOST: '127.0.0.1', AIRLOCK_METRICS_ADDRESS: `127.0.0.1:${takenPort}` },
          stdout: { write: () => true },
        }),
      ).rejects.toThrow(new RegExp(`^AIRLOCK_METRICS_ADDRESS can't be listened on: .*EADDRINUSE.*${takenPort}`))
      expect(await listensOn(port)).toBe(false)
    } finally {
      await new Promise((resolve) => taken.close(resolve))
      rmSync(data, { recursive: true, force: true })
    }
  })
})
