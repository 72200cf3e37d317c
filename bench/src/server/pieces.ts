/**
 * `npm run pieces -w @airlock/bench`: the CPU time of each piece of work a password login does, one piece at a
 * time, in this process on the server core, over a data folder prepared like bench:login's, through the built
 * server's own services (no HTTP). What bench:login measures is the sum of these plus the two HTTP requests.
 * See README.md ("Where a login's time goes").
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { webcrypto } from 'node:crypto'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import SQLite from 'better-sqlite3'
import { canPin, freePort } from '../lib/proc.js'
import { fmtFixed, median, table } from '../lib/stats.js'
import { PASSWORD, prepareData, removeDir, tempDir } from './airlock.js'
import { distDir } from './dist.js'
import { SERVER_CORE } from './measure.js'

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '3' } } })

// On the server's core, like bench:login's server: re-run this script under taskset once.
if (canPin() && process.env.AIRLOCK_BENCH_PINNED !== '1') {
  execFileSync('taskset', ['-c', String(SERVER_CORE), process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, AIRLOCK_BENCH_PINNED: '1' },
  })
  process.exit(0)
}

// The built server's internals, loaded by path: untyped here.
type Any = any
const load = async (file: string): Promise<Any> => import(pathToFileURL(`${distDir}${file}`).href)

const dataDir = tempDir('pieces')
const prepared = await prepareData({ dataDir, users: 20, port: await freePort() })
const { boot } = await load('bootstrap.js')
const { loadConfig } = await load('config/load.js')
const { throttleService } = await load('services/throttle.js')
const { checkPassword } = await load('services/passwords.js')
const booted = await boot(loadConfig({ port: String(prepared.port), data: dataDir, publicUrl: prepared.url, env: { LOG_LEVEL: 'silent' } }))
const services = booted.services
const realm = await services.realms.defaultRealm()
const limits = throttleService(services.db, services.logger, 'bench throttle key')
const user = await services.users.byEmail(realm, prepared.emails[0])
const now = () => services.clock() as Date
const { session } = await services.sessions.start(realm, user.id, { userAgent: 'airlock-bench', ip: '127.0.0.1' }, now())
const { key: signingKey } = await services.keys.signing(realm, now())
const payload = new TextEncoder().encode('x'.repeat(700))

// A bare one-row table in its own WAL database, to price one durable transaction with and without fsync.
const raw = new SQLite(join(dataDir, 'raw.db'))
raw.pragma('journal_mode = WAL')
raw.exec('create table t (k text primary key, v integer)')
const upsert = raw.prepare('insert into t (k, v) values (?, 1) on conflict (k) do update set v = v + 1')

/** This process's CPU time (all threads) and its main thread's, in µs (schedstat counts nanoseconds). */
const processUs = () => {
  const { user, system } = process.cpuUsage()
  return user + system
}
const mainUs = () => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'latin1').split(' ')[0]) / 1000

interface Piece {
  name: string
  perLogin: string
  times: number
  run(i: number): Promise<unknown> | unknown
}
// A login's counters, as src/http/throttle.ts makes them: the address, the account from it, the account.
const counters = (i: number) => [
  { limit: 'login_ip', key: '127.0.0.1' },
  { limit: 'login_account_ip', key: `${realm.id}\n${prepared.emails[i % prepared.emails.length]}`, address: '127.0.0.1' },
  { limit: 'login_account', key: `${realm.id}\n${prepared.emails[i % prepared.emails.length]}` },
]
const PIECES: Piece[] = [
  { name: 'realm by host (realms.defaultRealm)', perLogin: '2', times: 400, run: () => services.realms.defaultRealm() },
  {
    name: 'rate limits: reserve + settle a success',
    perLogin: '1',
    times: 100,
    run: async (i) => {
      const taken = await limits.take(counters(i))
      await limits.settle({ refund: [taken.counted[0], taken.counted[2]], clear: [counters(i)[1]] })
    },
  },
  { name: 'user by email (users.byEmail)', perLogin: '1', times: 400, run: (i) => services.users.byEmail(realm, prepared.emails[i % prepared.emails.length]) },
  { name: 'argon2id verify (checkPassword)', perLogin: '1', times: 10, run: () => checkPassword(user.passwordHash, PASSWORD) },
  { name: 'session insert (sessions.start)', perLogin: '1', times: 100, run: () => services.sessions.start(realm, user.id, { userAgent: 'airlock-bench', ip: '127.0.0.1' }, now()) },
  { name: 'last login (users.loggedIn)', perLogin: '1', times: 100, run: () => services.users.loggedIn(realm, user, now()) },
  {
    name: 'event row (events.record)',
    perLogin: '1',
    times: 100,
    run: () => services.events.record({ type: 'user.login.succeeded', realmId: realm.id, userId: user.id, sessionId: session.id, ip: '127.0.0.1' }, now()),
  },
  { name: 'token (tokens.issue: account, key, JWT, RS256)', perLogin: '1', times: 100, run: () => services.tokens.issue(realm, prepared.url, user, session, now()) },
  { name: '  of which the RS256 signature (WebCrypto)', perLogin: '', times: 100, run: () => webcrypto.subtle.sign('RSASSA-PKCS1-v1_5', signingKey, payload) },
  {
    name: 'reference: a one-row write, synchronous=FULL',
    perLogin: '',
    times: 100,
    run: (i) => {
      raw.pragma('synchronous = FULL')
      upsert.run(`k${i % 50}`)
    },
  },
  {
    name: 'reference: a one-row write, synchronous=NORMAL',
    perLogin: '',
    times: 100,
    run: (i) => {
      raw.pragma('synchronous = NORMAL')
      upsert.run(`k${i % 50}`)
    },
  },
]

const rounds = Math.max(1, Math.round(Number(args.rounds)))
const results = new Map<string, { cpu: number[]; main: number[] }>(PIECES.map((p) => [p.name, { cpu: [], main: [] }]))
try {
  for (let round = 0; round <= rounds; round++) {
    for (const piece of PIECES) {
      // Round 0 warms up (JIT, statement cache, key import) and is not counted.
      const times = round === 0 ? Math.min(piece.times, 20) : piece.times
      const cpuBefore = processUs()
      const mainBefore = mainUs()
      for (let i = 0; i < times; i++) await piece.run(i)
      // The last settlement waits 100 ms for company, then is written: inside its piece's time (idle meanwhile).
      if (piece.name.startsWith('rate limits')) await new Promise((resolve) => setTimeout(resolve, 150))
      if (round === 0) continue
      results.get(piece.name)!.cpu.push((processUs() - cpuBefore) / times)
      results.get(piece.name)!.main.push((mainUs() - mainBefore) / times)
    }
  }
} finally {
  raw.close()
  await booted.close()
  removeDir(dataDir)
}

console.log(
  table(
    ['piece', 'per login', 'CPU µs (median)', 'main thread µs'],
    PIECES.map((p) => [p.name, p.perLogin, fmtFixed(median(results.get(p.name)!.cpu), 0), fmtFixed(median(results.get(p.name)!.main), 0)]),
    [false, true, true, true],
  ),
)
console.log(`\n${rounds} rounds, medians; ${canPin() ? `pinned to core ${SERVER_CORE}` : 'NOT PINNED'}; server from ${distDir}`)
