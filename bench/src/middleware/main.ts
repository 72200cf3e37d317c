/**
 * The middleware benchmark: how many requests per second an Express 5 app serves with the guide's
 * `cookieParser()` + `arMiddleware()` stack, compared with the same app without them.
 *
 * Three processes: this one (orchestration, the loopback JWKS server, the token pool), the server
 * under test (server.ts) and autocannon (load.ts). Scenarios run interleaved, round after round,
 * and each scenario's figure is the median of its rounds. See README.md.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { FromLoad, FromServer, LoadResult, LoadSpec, ScenarioName, ToLoad, ToServer } from './protocol.js'
import { BEARER_TOKEN, COOKIE_TOKEN, FIRST_FRESH_TOKEN, startLoginRocket, USER_ID } from './tokens.js'

const benchDir = fileURLToPath(new URL('../../', import.meta.url))
const env = process.env

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: env.BENCH_ROUNDS ?? '3' },
    duration: { type: 'string', default: env.BENCH_DURATION ?? '5' },
    warmup: { type: 'string', default: env.BENCH_WARMUP ?? '2' },
    connections: { type: 'string', default: env.BENCH_CONNECTIONS ?? '32' },
    scenarios: { type: 'string', default: env.BENCH_SCENARIOS ?? 'bare,cookie,bearer,fresh' },
    pool: { type: 'string', default: env.BENCH_POOL_SIZE ?? '150000' },
    profile: { type: 'boolean', default: env.BENCH_PROFILE === '1' },
    strict: { type: 'boolean', default: env.BENCH_STRICT === '1' },
  },
})

function positive(name: string, value: string | undefined): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number (got ${JSON.stringify(value)})`)
  return n
}

const ALL: readonly ScenarioName[] = ['bare', 'cookie', 'bearer', 'fresh']
const rounds = Math.round(positive('rounds', args.rounds))
const durationSec = positive('duration', args.duration)
const warmupSec = Number(args.warmup) || 0
const connections = Math.round(positive('connections', args.connections))
const poolSize = Math.round(positive('pool', args.pool))
const scenarios = args.scenarios!.split(',').map((s) => s.trim()) as ScenarioName[]
for (const s of scenarios) if (!ALL.includes(s)) throw new Error(`unknown scenario ${s}; known: ${ALL.join(', ')}`)
if (!scenarios.includes('bare')) scenarios.unshift('bare')

/** A target: the scenario's median req/s over bare's. */
const TARGETS: Partial<Record<ScenarioName, number>> = { cookie: 0.9, fresh: 0.6 }

const DESCRIPTION: Record<ScenarioName, string> = {
  bare: 'no middleware, constant id',
  cookie: 'cookieParser + arMiddleware, login cookie (cached token)',
  bearer: 'cookieParser + arMiddleware, Authorization: Bearer (cached token)',
  fresh: 'cookieParser + arMiddleware, a never-seen cookie token per request (RS256 verify every time)',
}

const log = (line: string) => console.log(line)

// A browser's Cookie header: analytics and preference cookies around the login cookie.
const COOKIE_BEFORE = '_ga=GA1.1.1427364592.1731940000; _gid=GA1.1.918273645.1732020000; theme=dark; locale=en-GB; arToken='
const COOKIE_AFTER = '; csrftoken=Zk3vQ8pX2mN7rT1yW4bC6dF9gH0jK5lP; _hjSessionUser_123456=eyJpZCI6IjEyMyIsImNyZWF0ZWQiOjE3MzIwMDAwMDB9'
const BROWSER_HEADERS = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en-GB,en;q=0.9',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
}

function child(script: string, childEnv: Record<string, string>, execArgv: string[] = []): ChildProcess {
  return fork(fileURLToPath(new URL(script, import.meta.url)), [], {
    env: { ...env, ...childEnv },
    execArgv: [...process.execArgv, ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
}

async function firstMessage<T>(proc: ChildProcess, what: string): Promise<T> {
  const [message] = (await Promise.race([
    once(proc, 'message'),
    once(proc, 'exit').then(([code]) => {
      throw new Error(`${what} exited (code ${code}) before it was ready`)
    }),
  ])) as [T]
  return message
}

async function check(name: string, url: string, headers: Record<string, string>, status: number, id?: string) {
  const res = await fetch(url, { headers })
  const body = (await res.json()) as { id?: string }
  if (res.status !== status || (id !== undefined && body.id !== id)) {
    throw new Error(`sanity check "${name}" failed: HTTP ${res.status} ${JSON.stringify(body)} (wanted ${status}${id ? ` with id ${id}` : ''})`)
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function table(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`
  const rule = `|${widths.map((w, i) => (right[i] ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`
  return [line(header), rule, ...rows.map(line)].join('\n')
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

// ---------------------------------------------------------------------------------------------

const started = performance.now()
const freshRuns = scenarios.includes('fresh') ? rounds + (warmupSec > 0 ? 1 : 0) : 0
const lr = await startLoginRocket(`${benchDir}.cache/middleware-tokens.json`, freshRuns > 0 ? poolSize : FIRST_FRESH_TOKEN, log)
const { pool } = lr
const profileDir = `${benchDir}profiles`
if (args.profile) await mkdir(profileDir, { recursive: true })

const server = child('./server.ts', { LOGINROCKET_URL: lr.url }, args.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])
const serverReady = await firstMessage<FromServer>(server, 'the server')
const load = child('./load.ts', { BENCH_POOL: `${benchDir}.cache/middleware-tokens.json` })
const loadReady = await firstMessage<FromLoad>(load, 'the load generator')
if (loadReady.type !== 'ready' || loadReady.poolSize !== pool.tokens.length) throw new Error('the load generator read another token pool')

const cookieToken = pool.tokens[COOKIE_TOKEN]!
const bearerToken = pool.tokens[BEARER_TOKEN]!
const specs: Record<ScenarioName, LoadSpec> = {
  bare: { scenario: 'bare', url: serverReady.bareUrl, headers: { ...BROWSER_HEADERS, cookie: `${COOKIE_BEFORE}${cookieToken}${COOKIE_AFTER}` } },
  cookie: { scenario: 'cookie', url: serverReady.authUrl, headers: { ...BROWSER_HEADERS, cookie: `${COOKIE_BEFORE}${cookieToken}${COOKIE_AFTER}` } },
  bearer: { scenario: 'bearer', url: serverReady.authUrl, headers: { accept: 'application/json', authorization: `Bearer ${bearerToken}` } },
  fresh: {
    scenario: 'fresh',
    url: serverReady.authUrl,
    headers: BROWSER_HEADERS,
    fresh: { start: FIRST_FRESH_TOKEN, cookieBefore: COOKIE_BEFORE, cookieAfter: COOKIE_AFTER },
  },
}

// Sanity: the stack logs the token's user in, refuses a forged signature, and nothing is cached yet
// for the fresh pool (the checks use only the cookie and bearer tokens).
const forged = bearerToken.slice(0, -4) + (bearerToken.endsWith('AAAA') ? 'BBBB' : 'AAAA')
await check('bare', serverReady.bareUrl, {}, 200, USER_ID)
await check('anonymous', serverReady.authUrl, {}, 401)
await check('cookie', serverReady.authUrl, specs.cookie.headers, 200, USER_ID)
await check('bearer', serverReady.authUrl, specs.bearer.headers, 200, USER_ID)
await check('forged signature', serverReady.authUrl, { authorization: `Bearer ${forged}` }, 401)

log(`Middleware: ${fileURLToPath(serverReady.middleware)}`)
log(
  `Scenarios: ${scenarios.join(', ')}; ${rounds} round(s) of ${durationSec} s each after a ${warmupSec} s warm-up round; ` +
    `${connections} connections; ${pool.tokens.length - FIRST_FRESH_TOKEN} fresh tokens available`,
)

let nextId = 0
let freshCursor = FIRST_FRESH_TOKEN
const pending = new Map<number, (message: FromLoad) => void>()
load.on('message', (message: FromLoad) => {
  if (message.type === 'ready') return
  pending.get(message.id)?.(message)
  pending.delete(message.id)
})

async function measure(scenario: ScenarioName, seconds: number): Promise<LoadResult> {
  const id = nextId++
  const spec = specs[scenario]
  const run: ToLoad = {
    type: 'run',
    id,
    durationSec: seconds,
    connections,
    spec: spec.fresh ? { ...spec, fresh: { ...spec.fresh, start: freshCursor } } : spec,
  }
  const answer = new Promise<FromLoad>((resolve) => pending.set(id, resolve))
  load.send(run)
  const message = await answer
  if (message.type !== 'result') throw new Error(`autocannon failed on ${scenario}: ${message.type === 'failed' ? message.message : message.type}`)
  freshCursor += message.tokensUsed
  if (message.errors > 0 || message.non2xx > 0) {
    throw new Error(`${scenario}: ${message.non2xx} non-2xx answers and ${message.errors} errors; the figures would be meaningless`)
  }
  if (message.exhausted) {
    throw new Error(`the fresh-token pool ran out during a ${seconds} s run; raise --pool (now ${poolSize})`)
  }
  return message
}

if (warmupSec > 0) {
  process.stdout.write('Warm-up:')
  for (const scenario of scenarios) {
    const r = await measure(scenario, warmupSec)
    process.stdout.write(` ${scenario} ${fmt(r.rps)}`)
  }
  process.stdout.write('\n')
}

const results = new Map<ScenarioName, LoadResult[]>(scenarios.map((s) => [s, []]))
for (let round = 1; round <= rounds; round++) {
  process.stdout.write(`Round ${round}/${rounds}:`)
  for (const scenario of scenarios) {
    const r = await measure(scenario, durationSec)
    results.get(scenario)!.push(r)
    process.stdout.write(` ${scenario} ${fmt(r.rps)}`)
  }
  process.stdout.write('\n')
}

load.send({ type: 'exit' } satisfies ToLoad)
server.send({ type: 'exit' } satisfies ToServer)
await Promise.all([once(load, 'exit'), once(server, 'exit')])
const jwksFetches = lr.jwksHits()
await lr.close()

const bareRps = median(results.get('bare')!.map((r) => r.rps))
let below = 0
const rows = scenarios.map((scenario) => {
  const runs = results.get(scenario)!
  const rps = median(runs.map((r) => r.rps))
  const ratio = rps / bareRps
  const target = TARGETS[scenario]
  const verdict = target === undefined ? '' : ratio >= target ? `PASS (≥ ${target}×)` : `BELOW (< ${target}×)`
  if (target !== undefined && ratio < target) below++
  return [
    scenario,
    fmt(rps),
    runs.map((r) => fmt(r.rps)).join(' / '),
    `${ratio.toFixed(2)}×`,
    `${median(runs.map((r) => r.latencyP50Ms)).toFixed(1)} / ${median(runs.map((r) => r.latencyP99Ms)).toFixed(1)}`,
    verdict,
  ]
})

log('')
log(table(['scenario', 'req/s (median)', 'rounds', 'vs bare', 'latency p50 / p99 ms', 'target'], rows, [false, true, true, true, true, false]))
log('')
for (const scenario of scenarios) log(`  ${scenario.padEnd(7)} ${DESCRIPTION[scenario]}`)
log('')
log(
  `${connections} connections, ${rounds} × ${durationSec} s per scenario, Node ${process.version}, ` +
    `fresh tokens used: ${freshCursor - FIRST_FRESH_TOKEN}, JWKS fetches by the server: ${jwksFetches}, ` +
    `total ${((performance.now() - started) / 1000).toFixed(0)} s`,
)
if (args.profile) log(`CPU profile of the server process written to ${profileDir}/`)
if (args.strict && below > 0) process.exitCode = 1
