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
import { mkdir, readdir } from 'node:fs/promises'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { machineBusyUs, otherCoresOver } from '../lib/cpu.js'
import { firstMessage } from '../lib/proc.js'
import { fmt, median, table } from '../lib/stats.js'
import type { FromLoad, FromServer, LoadResult, LoadSpec, ScenarioName, ToLoad, ToServer } from './protocol.js'
import { BEARER_TOKEN, COOKIE_TOKEN, FIRST_FRESH_TOKEN, TokenIssuer, USER_ID } from './tokens.js'

const benchDir = fileURLToPath(new URL('../../', import.meta.url))
const env = process.env

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: env.BENCH_ROUNDS ?? '3' },
    duration: { type: 'string', default: env.BENCH_DURATION ?? '5' },
    warmup: { type: 'string', default: env.BENCH_WARMUP ?? '2' },
    connections: { type: 'string', default: env.BENCH_CONNECTIONS ?? '32' },
    scenarios: { type: 'string', default: env.BENCH_SCENARIOS ?? 'bare,cookie,bearer,fresh' },
    profile: { type: 'boolean', default: env.BENCH_PROFILE === '1' },
    strict: { type: 'boolean', default: env.BENCH_STRICT === '1' },
  },
})

function positive(name: string, value: string | undefined): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number (got ${JSON.stringify(value)})`)
  return n
}

const ALL: readonly ScenarioName[] = ['bare', 'noop', 'cookie', 'bearer', 'fresh']
const rounds = Math.round(positive('rounds', args.rounds))
const durationSec = positive('duration', args.duration)
const warmupSec = Number(args.warmup) || 0
const connections = Math.round(positive('connections', args.connections))
const scenarios = args.scenarios!.split(',').map((s) => s.trim()) as ScenarioName[]
for (const s of scenarios) if (!ALL.includes(s)) throw new Error(`unknown scenario ${s}; known: ${ALL.join(', ')}`)
if (new Set(scenarios).size !== scenarios.length) throw new Error('a scenario is listed twice')

/** A target: the scenario's median req/s over bare's. */
const TARGETS: Partial<Record<ScenarioName, number>> = { cookie: 0.9, fresh: 0.6 }

const DESCRIPTION: Record<ScenarioName, string> = {
  bare: 'no middleware, constant id',
  noop: 'diagnostic: bare behind two empty middlewares (one sync, one async): Express’s own cost of two layers',
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


async function check(name: string, url: string, headers: Record<string, string>, status: number, id?: string) {
  const res = await fetch(url, { headers })
  const body = (await res.json()) as { id?: string }
  if (res.status !== status || (id !== undefined && body.id !== id)) {
    throw new Error(`sanity check "${name}" failed: HTTP ${res.status} ${JSON.stringify(body)} (wanted ${status}${id ? ` with id ${id}` : ''})`)
  }
}

// ---------------------------------------------------------------------------------------------

const started = performance.now()
const othersBefore = await otherCoresOver(1000)
log(`Other processes before the run: ${othersBefore.toFixed(2)} cores busy${othersBefore > 0.2 ? ' — the figures will be noisy' : ''}`)
const cacheDir = env.BENCH_CACHE_DIR ?? `${benchDir}.cache/middleware`
const issuer = await TokenIssuer.start(cacheDir, log)
await issuer.ensure(FIRST_FRESH_TOKEN)
const profileDir = `${benchDir}profiles`
if (args.profile) await mkdir(profileDir, { recursive: true })

const server = child('./server.ts', { LOGINROCKET_URL: issuer.url }, args.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])
const serverReady = await firstMessage<FromServer>(server, 'the server')
if (serverReady.type !== 'ready') throw new Error('the server did not start')
const load = child('./load.ts', { BENCH_CACHE: cacheDir })
const loadReady = await firstMessage<FromLoad>(load, 'the load generator')
if (loadReady.type !== 'ready') throw new Error('the load generator did not start')

const cookieToken = issuer.tokens[COOKIE_TOKEN]!
const bearerToken = issuer.tokens[BEARER_TOKEN]!
const browserCookie = `${COOKIE_BEFORE}${cookieToken}${COOKIE_AFTER}`
const specs: Record<ScenarioName, LoadSpec> = {
  // bare and noop get the same browser request as cookie, so only the server's work differs.
  bare: { scenario: 'bare', url: serverReady.bareUrl, headers: { ...BROWSER_HEADERS, cookie: browserCookie } },
  noop: { scenario: 'noop', url: serverReady.noopUrl, headers: { ...BROWSER_HEADERS, cookie: browserCookie } },
  cookie: { scenario: 'cookie', url: serverReady.authUrl, headers: { ...BROWSER_HEADERS, cookie: browserCookie } },
  bearer: { scenario: 'bearer', url: serverReady.authUrl, headers: { accept: 'application/json', authorization: `Bearer ${bearerToken}` } },
  fresh: {
    scenario: 'fresh',
    url: serverReady.authUrl,
    headers: BROWSER_HEADERS,
    fresh: { start: FIRST_FRESH_TOKEN, cookieBefore: COOKIE_BEFORE, cookieAfter: COOKIE_AFTER },
  },
}

// Sanity: each app answers as expected, the stack logs the tokens' user in and refuses a forged
// signature. Only the cookie and bearer tokens are used here: the fresh ones stay unseen.
const forged = bearerToken.slice(0, -4) + (bearerToken.endsWith('AAAA') ? 'BBBB' : 'AAAA')
await check('bare', serverReady.bareUrl, {}, 200, USER_ID)
await check('noop', serverReady.noopUrl, {}, 200, USER_ID)
await check('anonymous', serverReady.authUrl, {}, 401)
await check('cookie', serverReady.authUrl, specs.cookie.headers, 200, USER_ID)
await check('bearer', serverReady.authUrl, specs.bearer.headers, 200, USER_ID)
await check('forged signature', serverReady.authUrl, { authorization: `Bearer ${forged}` }, 401)

log(`Middleware under test: ${fileURLToPath(serverReady.middleware)}`)
log(
  `Scenarios ${scenarios.join(', ')}, interleaved: ${warmupSec > 0 ? `a ${warmupSec} s warm-up round, then ` : ''}` +
    `${rounds} round(s) of ${durationSec} s each; ${connections} connections`,
)

let nextId = 0
let freshCursor = FIRST_FRESH_TOKEN
let peakRps = 0
let peakFreshRps = 0
const pending = new Map<number, (message: FromLoad) => void>()
load.on('message', (message: FromLoad) => {
  if (message.type === 'ready') return
  pending.get(message.id)?.(message)
  pending.delete(message.id)
})

async function serverCpuUs(): Promise<number> {
  server.send({ type: 'cpu' } satisfies ToServer)
  for (;;) {
    const [message] = (await once(server, 'message')) as [FromServer]
    if (message.type === 'cpu') return message.us
  }
}

interface Measured extends LoadResult {
  /** The server process's CPU time (all threads, user + system) per response, in microseconds. */
  cpuUsPerReq: number
  /** The server's CPU time over the run's wall time: about 1 when its event loop was the bottleneck. */
  serverCores: number
  /** The load generator's CPU time over wall time: near 1 means it, not the server, may be the limit. */
  loadCores: number
  /** CPU used meanwhile by everything but the server, the load generator and this process, in cores. */
  otherCores: number
}

/** Unused tokens enough for a fresh-token run of `seconds`, with room to spare; signed while the server is idle. */
async function prepareFresh(seconds: number, margin = 1): Promise<void> {
  // Until the fresh scenario has run, the fastest rate seen (none beats bare) or a guess; then twice its best.
  const rate = peakFreshRps > 0 ? 2 * peakFreshRps : 1.5 * (peakRps || 15_000)
  await issuer.ensure(freshCursor + Math.ceil(margin * rate * seconds) + 2 * connections)
}

async function measure(scenario: ScenarioName, seconds: number): Promise<Measured> {
  const spec = specs[scenario]
  const serverBefore = await serverCpuUs()
  const machineBefore = machineBusyUs()
  const selfBefore = process.cpuUsage()
  const id = nextId++
  const run: ToLoad = {
    type: 'run',
    id,
    durationSec: seconds,
    connections,
    poolSize: issuer.tokens.length,
    spec: spec.fresh ? { ...spec, fresh: { ...spec.fresh, start: freshCursor } } : spec,
  }
  const answer = new Promise<FromLoad>((resolve) => pending.set(id, resolve))
  load.send(run)
  const message = await answer
  if (message.type !== 'result') throw new Error(`autocannon failed on ${scenario}: ${message.type === 'failed' ? message.message : message.type}`)
  const self = process.cpuUsage(selfBefore)
  const machineUs = machineBusyUs() - machineBefore
  const serverUs = (await serverCpuUs()) - serverBefore
  freshCursor += message.tokensUsed
  if (message.exhausted) {
    // Faster than foreseen: this run is void (it ended early, then sent no login). Repeat it.
    log(`\n  the fresh tokens ran out after ${message.tokensUsed} requests; signing more and repeating the run`)
    peakFreshRps = Math.max(peakFreshRps, message.tokensUsed / seconds, message.rps)
    await prepareFresh(seconds, 1.5)
    return measure(scenario, seconds)
  }
  if (message.errors > 0 || message.non2xx > 0) {
    throw new Error(`${scenario}: ${message.non2xx} non-2xx answers and ${message.errors} errors; the figures would be meaningless`)
  }
  peakRps = Math.max(peakRps, message.rps)
  if (scenario === 'fresh') peakFreshRps = Math.max(peakFreshRps, message.rps)
  const others = machineUs - serverUs - message.cpuUs - (self.user + self.system)
  return {
    ...message,
    cpuUsPerReq: serverUs / message.responses,
    serverCores: serverUs / 1e6 / message.elapsedSec,
    loadCores: message.cpuUs / 1e6 / message.elapsedSec,
    otherCores: Math.max(0, others / 1e6 / message.elapsedSec),
  }
}

async function prepareRound(seconds: number): Promise<void> {
  if (scenarios.includes('fresh')) await prepareFresh(seconds)
}

if (warmupSec > 0) {
  await prepareRound(warmupSec)
  process.stdout.write('Warm-up:')
  for (const scenario of scenarios) {
    const r = await measure(scenario, warmupSec)
    process.stdout.write(` ${scenario} ${fmt(r.rps)}`)
  }
  process.stdout.write('\n')
}

const results = new Map<ScenarioName, Measured[]>(scenarios.map((s) => [s, []]))
for (let round = 1; round <= rounds; round++) {
  await prepareRound(durationSec)
  process.stdout.write(`Round ${round}/${rounds}:`)
  for (const scenario of scenarios) {
    const r = await measure(scenario, durationSec)
    results.get(scenario)!.push(r)
    process.stdout.write(` ${scenario} ${fmt(r.rps)}${r.otherCores > 0.25 ? ` (other processes: ${r.otherCores.toFixed(2)} cores)` : ''}`)
  }
  process.stdout.write('\n')
}

load.send({ type: 'exit' } satisfies ToLoad)
server.send({ type: 'exit' } satisfies ToServer)
await Promise.all([once(load, 'exit'), once(server, 'exit')])
await issuer.close()

const bareRuns = results.get('bare')
const bareRps = bareRuns ? median(bareRuns.map((r) => r.rps)) : null
const bareCpu = bareRuns ? median(bareRuns.map((r) => r.cpuUsPerReq)) : null
let below = 0
const rows = scenarios.map((scenario) => {
  const runs = results.get(scenario)!
  const rps = median(runs.map((r) => r.rps))
  const cpu = median(runs.map((r) => r.cpuUsPerReq))
  const ratio = bareRps === null ? null : rps / bareRps
  const target = TARGETS[scenario]
  let verdict = ''
  if (target !== undefined && ratio !== null) {
    verdict = ratio >= target ? `PASS (≥ ${target}×)` : `BELOW (< ${target}×)`
    if (ratio < target) below++
  }
  return [
    scenario,
    fmt(rps),
    runs.map((r) => fmt(r.rps)).join(' / '),
    // Rounded down, so that a ratio just under its target never reads as the target.
    ratio === null ? 'n/a' : `${(Math.floor(ratio * 100) / 100).toFixed(2)}×`,
    verdict,
    cpu.toFixed(1),
    bareCpu === null ? 'n/a' : `${(bareCpu / cpu).toFixed(2)}×`,
    median(runs.map((r) => r.serverCores)).toFixed(2),
    median(runs.map((r) => r.loadCores)).toFixed(2),
    median(runs.map((r) => r.otherCores)).toFixed(2),
    `${median(runs.map((r) => r.latencyP50Ms)).toFixed(0)} / ${median(runs.map((r) => r.latencyP99Ms)).toFixed(0)}`,
  ]
})

log('')
log(
  table(
    ['scenario', 'req/s (median)', 'req/s per round', 'vs bare', 'target', 'server CPU µs/req', 'CPU: bare/this', 'server cores', 'autocannon cores', 'other cores', 'p50 / p99 ms'],
    rows,
    [false, true, true, true, false, true, true, true, true, true, true],
  ),
)
log('')
for (const scenario of scenarios) log(`  ${scenario.padEnd(7)} ${DESCRIPTION[scenario]}`)
log('')
log(
  `${connections} connections, ${rounds} × ${durationSec} s per scenario, Node ${process.version}, ${cpus().length} cores; ` +
    `fresh tokens used: ${freshCursor - FIRST_FRESH_TOKEN}; JWKS fetches by the server: ${issuer.jwksHits}; ` +
    `total ${((performance.now() - started) / 1000).toFixed(0)} s`,
)
if (args.profile) {
  // --cpu-prof writes one file per thread (<pid>.<thread>); thread 0 is the event loop, the others are tsx's loader.
  const mine = (await readdir(profileDir)).filter((f) => f.includes(`.${server.pid}.0.`))
  for (const file of mine) log(`CPU profile of the server's event loop: ${profileDir}/${file}`)
  log('Summarise it with: npm run cpuprofile -w @airlock/bench -- FILE [--match REGEXP]')
}
if (args.strict && below > 0) process.exitCode = 1
