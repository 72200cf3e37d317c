/**
 * `npm run bench:login`: full password logins over HTTP per second with the server on one core, against
 * the raw argon2id hash rate of the same core with the server's own parameters, measured in the same run.
 * See README.md ("Login throughput").
 */
import { mkdir, readdir } from 'node:fs/promises'
import { cpus } from 'node:os'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { otherCoresOver } from '../lib/cpu.js'
import { firstMessage, forkOn, freePort, request } from '../lib/proc.js'
import { fmtFixed, median, ratioText, table } from '../lib/stats.js'
import { APP_URL, PASSWORD, browserLogin, prepareData, removeDir, startAirlock, tempDir, type Airlock } from './airlock.js'
import { LoadGenerator, interleave, medianSample, pinningNote, positive, sampled, seconds, serverCore, type Sample } from './measure.js'
import type { FromHash, HashRun, ToHash, Work } from './protocol.js'

const benchDir = fileURLToPath(new URL('../../', import.meta.url))
const env = process.env
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: env.BENCH_ROUNDS ?? '3' },
    duration: { type: 'string', default: env.BENCH_DURATION ?? '10' },
    warmup: { type: 'string', default: env.BENCH_WARMUP ?? '3' },
    connections: { type: 'string', default: env.BENCH_CONNECTIONS ?? '16' },
    users: { type: 'string', default: env.BENCH_USERS ?? '50' },
    scenarios: { type: 'string', default: env.BENCH_SCENARIOS ?? 'hash,hash4,login' },
    compare: { type: 'string', default: env.BENCH_COMPARE_DIST },
    profile: { type: 'boolean', default: env.BENCH_PROFILE === '1' },
    strict: { type: 'boolean', default: env.BENCH_STRICT === '1' },
  },
})

type Scenario = 'hash' | 'hash4' | 'verify' | 'login' | 'login1' | 'compare' | 'form'
const ALL: readonly Scenario[] = ['hash', 'hash4', 'verify', 'login', 'login1', 'compare', 'form']
const DESCRIPTION: Record<Scenario, string> = {
  hash: 'baseline: the server’s hashPassword() back to back in a bare process, one libuv pool thread (UV_THREADPOOL_SIZE=1) kept busy: the core’s raw argon2id rate',
  hash4: 'diagnostic: the same with libuv’s default pool and four hashes in flight, through hashPassword()’s limit of one computation per CPU (the server’s own)',
  verify: 'diagnostic: checkPassword() (argon2 verify, what a login runs) instead of hashPassword(), one pool thread',
  login: '`airlock start` on one core: GET /login, then POST /login with the csrf field, cookie and the right password → 303 with ?token=',
  login1: 'diagnostic: the same server started with UV_THREADPOOL_SIZE=1 (one hash at a time)',
  compare: 'the same logins against another build of the server (--compare DIR), e.g. before a change',
  form: 'diagnostic: GET /login alone (the form page) against the login server: its CPU ms/op is one page’s',
}
const TARGET = 0.9

const rounds = Math.round(positive('rounds', args.rounds))
const durationSec = positive('duration', args.duration)
const warmupSec = seconds('warmup', args.warmup)
const connections = Math.round(positive('connections', args.connections))
const userCount = Math.round(positive('users', args.users))
const scenarios = args.scenarios!.split(',').map((s) => s.trim()) as Scenario[]
// A build to compare with runs right after `login` in every round.
const compareCli = args.compare ? `${resolve(args.compare)}/cli/main.js` : null
if (compareCli && !scenarios.includes('compare')) scenarios.splice(scenarios.includes('login') ? scenarios.indexOf('login') + 1 : scenarios.length, 0, 'compare')
if (scenarios.includes('compare') && !compareCli) throw new Error('the compare scenario needs --compare DIR (another build\'s dist folder)')
for (const s of scenarios) if (!ALL.includes(s)) throw new Error(`unknown scenario ${s}; known: ${ALL.join(', ')}`)
if (new Set(scenarios).size !== scenarios.length) throw new Error('a scenario is listed twice')

const log = (line: string) => console.log(line)
const started = performance.now()
const othersBefore = await otherCoresOver(1000)
log(`Other processes before the run: ${othersBefore.toFixed(2)} cores busy${othersBefore > 0.2 ? ' — the figures will be noisy' : ''}`)
log(`Pinning: ${pinningNote()}`)

const core = serverCore()
const profileDir = `${benchDir}profiles`
if (args.profile) await mkdir(profileDir, { recursive: true })

// ---- the raw argon2id children -------------------------------------------------------------------
const hashChildren = new Map<Scenario, { proc: ReturnType<typeof forkOn>; inFlight: number; op: HashRun['op'] }>()
let nextId = 0
async function hashChild(scenario: Scenario, poolSize: string | undefined, inFlight: number, op: HashRun['op']) {
  const proc = forkOn(core, fileURLToPath(new URL('./hash.ts', import.meta.url)), { UV_THREADPOOL_SIZE: poolSize })
  const ready = await firstMessage<FromHash>(proc, `the ${scenario} process`)
  if (ready.type !== 'ready') throw new Error(`the ${scenario} process did not start`)
  hashChildren.set(scenario, { proc, inFlight, op })
  return ready
}
let argon2Line = ''
// One pool thread with two hashes queued: it never waits for its event loop. Four threads with four in flight.
if (scenarios.includes('hash')) {
  const ready = await hashChild('hash', '1', 2, 'hash')
  argon2Line = `argon2id parameters ${JSON.stringify(ready.options)} from ${ready.module}`
}
if (scenarios.includes('hash4')) await hashChild('hash4', undefined, 4, 'hash')
if (scenarios.includes('verify')) await hashChild('verify', '1', 2, 'verify')

// ---- the servers -------------------------------------------------------------------------------------
const dirs: string[] = []
const servers = new Map<Scenario, Airlock>()
async function server(scenario: Scenario, extraEnv: Record<string, string>, cli?: string) {
  const dataDir = tempDir('login')
  dirs.push(dataDir)
  const t0 = performance.now()
  const prepared = await prepareData({ dataDir, users: userCount, port: await freePort() })
  log(`${scenario}: ${prepared.emails.length} users signed up in ${((performance.now() - t0) / 1000).toFixed(1)} s (data in ${dataDir})`)
  const nodeArgs = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []
  const airlock = await startAirlock({ dataDir, port: prepared.port, core, env: extraEnv, nodeArgs, ...(cli ? { cli } : {}) })
  servers.set(scenario, airlock)
  await sanityLogin(airlock.url, prepared.emails[0]!)
  return prepared
}

/** One login by hand: a wrong password gets 401, the right one a token. */
async function sanityLogin(origin: string, email: string) {
  await browserLogin(origin, email, 'not the password', 401)
  await browserLogin(origin, email)
}

let emails: string[] = []
if (scenarios.includes('login') || scenarios.includes('form')) emails = (await server('login', {})).emails
if (scenarios.includes('login1')) emails = (await server('login1', { UV_THREADPOOL_SIZE: '1' })).emails
if (compareCli) {
  emails = (await server('compare', {}, compareCli)).emails
  log(`compare: ${compareCli}`)
}

const load = await LoadGenerator.start()
await load.setup({ tokens: [], emails, password: PASSWORD, redirectUri: APP_URL })

log(
  `Scenarios ${scenarios.join(', ')}, interleaved: ${warmupSec > 0 ? `a ${warmupSec} s warm-up round, then ` : ''}` +
    `${rounds} round(s) of ${durationSec} s each; logins over ${connections} connections, rotating over ${userCount} users`,
)
if (argon2Line) log(argon2Line)

const FORM: Work = { kind: 'get', path: `/login?redirect_uri=${encodeURIComponent(APP_URL)}` }

async function measure(scenario: Scenario, secs: number): Promise<Sample> {
  const airlock = servers.get(scenario === 'form' ? 'login' : scenario)
  if (airlock) {
    return sampled(airlock.pid, async () => {
      const r = await load.run(airlock.url, scenario === 'form' ? FORM : { kind: 'login' }, secs, connections)
      return { completed: r.completed, elapsedSec: r.elapsedSec, loadCpuUs: r.cpuUs, latencyP50Ms: r.latencyP50Ms, latencyP99Ms: r.latencyP99Ms }
    })
  }
  const child = hashChildren.get(scenario)!
  return sampled(child.proc.pid!, async () => {
    const run: HashRun = { type: 'run', id: nextId++, op: child.op, durationSec: secs, inFlight: child.inFlight }
    const r = await request<FromHash>(child.proc, run)
    if (r.type !== 'result') throw new Error('the hash process did not answer')
    return { completed: r.completed, elapsedSec: r.elapsedSec, loadCpuUs: 0 }
  })
}

let results: Map<Scenario, Sample[]>
try {
  results = await interleave(scenarios, measure, { warmupSec, rounds, durationSec })
} finally {
  await load.stop()
  for (const airlock of servers.values()) await airlock.stop()
  for (const { proc } of hashChildren.values()) proc.send({ type: 'exit' } satisfies ToHash)
  for (const dir of dirs) removeDir(dir)
}

// ---- the table -----------------------------------------------------------------------------------------
const baseline = results.get('hash') ? median(results.get('hash')!.map((s) => s.rate)) : null
const baselineCpu = results.get('hash') ? median(results.get('hash')!.map((s) => s.cpuUsPerOp)) : null
let below = 0
const rows = scenarios.map((scenario) => {
  const samples = results.get(scenario)!
  const m = medianSample(samples)
  const ratio = baseline === null || scenario === 'form' ? null : m.rate / baseline
  let verdict = ''
  if (scenario === 'login' && ratio !== null) {
    verdict = ratio >= TARGET ? `PASS (≥ ${TARGET}×)` : `BELOW (< ${TARGET}×)`
    if (ratio < TARGET) below++
  }
  const isServer = scenario.startsWith('login') || scenario === 'compare' || scenario === 'form'
  return [
    scenario,
    fmtFixed(m.rate, 1),
    samples.map((s) => fmtFixed(s.rate, 1)).join(' / '),
    ratio === null ? 'n/a' : ratioText(ratio),
    verdict,
    fmtFixed(m.cpuUsPerOp / 1000, 2),
    fmtFixed(m.loopUsPerOp / 1000, 2),
    baselineCpu === null ? 'n/a' : ratioText(baselineCpu / m.cpuUsPerOp),
    m.targetCores.toFixed(2),
    isServer ? m.loadCores.toFixed(2) : '',
    Number.isNaN(m.coreOthers) ? 'n/a' : m.coreOthers.toFixed(2),
    isServer ? `${fmtFixed(m.latencyP50Ms, scenario === 'form' ? 1 : 0)} / ${fmtFixed(m.latencyP99Ms, scenario === 'form' ? 1 : 0)}` : '',
  ]
})
log('')
log(
  table(
    ['scenario', '/s (median)', '/s per round', 'vs hash', 'target', 'CPU ms/op', 'main thread ms/op', 'CPU: hash/this', 'its cores', 'autocannon cores', 'others on its core', 'login p50 / p99 ms'],
    rows,
    [false, true, true, true, false, true, true, true, true, true, true, true],
  ),
)
log('')
for (const scenario of scenarios) log(`  ${scenario.padEnd(7)} ${DESCRIPTION[scenario]}`)
if (results.get('compare') && results.get('login')) {
  const rate = (s: Scenario) => median(results.get(s)!.map((x) => x.rate))
  const cpu = (s: Scenario) => medianSample(results.get(s)!).cpuUsPerOp
  log(`login vs compare (same run): ${ratioText(rate('login') / rate('compare'))} the logins/s, ${ratioText(cpu('compare') / cpu('login'))} less CPU per login`)
}
log('')
const loginRate = results.get('login') ? median(results.get('login')!.map((s) => s.rate)) : null
if (loginRate !== null && baseline !== null) {
  const ratio = loginRate / baseline
  log(
    `Logins/s ${fmtFixed(loginRate, 1)}, raw argon2id hashes/s ${fmtFixed(baseline, 1)} (same core, same run): ${ratioText(ratio)} — ` +
      `${ratio >= TARGET ? 'PASS' : 'BELOW'} (target ≥ ${TARGET}×)`,
  )
}
log(`${rounds} × ${durationSec} s per scenario, ${connections} connections, Node ${process.version}, ${cpus().length} cores; total ${((performance.now() - started) / 1000).toFixed(0)} s`)
if (args.profile) {
  for (const [scenario, airlock] of servers) {
    for (const file of (await readdir(profileDir)).filter((f) => f.includes(`.${airlock.pid}.0.`))) log(`CPU profile of ${scenario}'s event loop: ${profileDir}/${file}`)
  }
  log('Summarise it with: npm run cpuprofile -w @airlock/bench -- FILE [--match REGEXP]')
}
if (args.strict && below > 0) process.exitCode = 1
