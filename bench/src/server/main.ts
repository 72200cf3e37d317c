/**
 * `npm run bench:server`: the server benchmarks other than logins/s (that one is `bench:login`), one after
 * the other: renewals per second on one core, cold start, idle RSS, login time with 1,000,000 users, and
 * the account list of a user with 200 accounts.
 * Each prints its own table; a closing table gives every figure, its same-run baseline and its verdict.
 * See README.md.
 */
import { mkdir } from 'node:fs/promises'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { otherCoresOver } from '../lib/cpu.js'
import { table } from '../lib/stats.js'
import { accountsBench } from './accounts.js'
import { coldStartBench } from './coldstart.js'
import { assertBuilt } from './dist.js'
import { positive, seconds } from './measure.js'
import { renewBench } from './renew.js'
import { rssBench } from './rss.js'
import { verdictText, type Verdict } from './summary.js'
import { usersBench } from './users.js'

const benchDir = fileURLToPath(new URL('../../', import.meta.url))
const env = process.env
const { values: args } = parseArgs({
  options: {
    only: { type: 'string', default: env.BENCH_ONLY ?? 'renew,coldstart,rss,users,accounts' },
    rounds: { type: 'string', default: env.BENCH_ROUNDS ?? '3' },
    duration: { type: 'string', default: env.BENCH_DURATION ?? '5' },
    warmup: { type: 'string', default: env.BENCH_WARMUP ?? '2' },
    connections: { type: 'string', default: env.BENCH_CONNECTIONS ?? '32' },
    sessions: { type: 'string', default: env.BENCH_SESSIONS ?? '1000' },
    starts: { type: 'string', default: env.BENCH_STARTS ?? '5' },
    samples: { type: 'string', default: env.BENCH_SAMPLES ?? '3' },
    'big-users': { type: 'string', default: env.BENCH_BIG_USERS ?? '1000000' },
    'small-users': { type: 'string', default: env.BENCH_SMALL_USERS ?? '1000' },
    logins: { type: 'string', default: env.BENCH_LOGINS ?? '30' },
    accounts: { type: 'string', default: env.BENCH_ACCOUNTS ?? '200' },
    requests: { type: 'string', default: env.BENCH_REQUESTS ?? '50' },
    keep: { type: 'boolean', default: env.BENCH_KEEP === '1' },
    profile: { type: 'boolean', default: env.BENCH_PROFILE === '1' },
    strict: { type: 'boolean', default: env.BENCH_STRICT === '1' },
  },
})

const ALL = ['renew', 'coldstart', 'rss', 'users', 'accounts'] as const
type Bench = (typeof ALL)[number]
const only = args.only!.split(',').map((s) => s.trim()) as Bench[]
for (const b of only) if (!ALL.includes(b)) throw new Error(`unknown benchmark ${b}; known: ${ALL.join(', ')}`)

assertBuilt()
const log = (line: string) => console.log(line)
const profileDir = `${benchDir}profiles`
if (args.profile) await mkdir(profileDir, { recursive: true })
const common = { log, profile: args.profile!, profileDir }

const started = performance.now()
const othersBefore = await otherCoresOver(1000)
log(`Other processes before the run: ${othersBefore.toFixed(2)} cores busy${othersBefore > 0.2 ? ' — the figures will be noisy' : ''}`)

const verdicts: Verdict[] = []
for (const bench of ALL.filter((b) => only.includes(b))) {
  const t0 = performance.now()
  if (bench === 'renew') {
    log('\n## Renewals per second (POST /connect/renew), server on one core\n')
    verdicts.push(
      await renewBench({
        ...common,
        rounds: Math.round(positive('rounds', args.rounds)),
        durationSec: positive('duration', args.duration),
        warmupSec: seconds('warmup', args.warmup),
        connections: Math.round(positive('connections', args.connections)),
        sessions: Math.round(positive('sessions', args.sessions)),
      }),
    )
  } else if (bench === 'coldstart') {
    log('\n## Cold start: spawn `airlock start` → first 200 from /healthz\n')
    verdicts.push(...(await coldStartBench({ ...common, starts: Math.round(positive('starts', args.starts)) })))
  } else if (bench === 'rss') {
    log('\n## Idle RSS of a started server\n')
    verdicts.push(await rssBench({ ...common, samples: Math.round(positive('samples', args.samples)) }))
  } else if (bench === 'accounts') {
    log('\n## GET /accounts for a user with many accounts (SQLite)\n')
    verdicts.push(
      await accountsBench({
        ...common,
        accounts: Math.round(positive('accounts', args.accounts)),
        requests: Math.round(positive('requests', args.requests)),
      }),
    )
  } else {
    log('\n## Login time with many users in SQLite\n')
    verdicts.push(
      await usersBench({
        ...common,
        big: Math.round(positive('big-users', args['big-users'])),
        small: Math.round(positive('small-users', args['small-users'])),
        logins: Math.round(positive('logins', args.logins)),
        keep: args.keep!,
      }),
    )
  }
  log(`(${bench}: ${((performance.now() - t0) / 1000).toFixed(0)} s)`)
}

log('\n## Summary\n')
log(
  table(
    ['benchmark', 'figure', 'same-run baseline', 'ratio', 'target', 'verdict'],
    verdicts.map((v) => [v.bench, v.figure, v.baseline, v.ratio, v.target, verdictText(v.pass)]),
    [false, true, true, true, false, false],
  ),
)
log('')
log(`Node ${process.version}, ${cpus().length} cores; total ${((performance.now() - started) / 1000).toFixed(0)} s`)
if (args.strict && verdicts.some((v) => !v.pass)) process.exitCode = 1
