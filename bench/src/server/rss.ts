/**
 * Idle RSS: a started server after a few requests of every kind (health checks, login pages, logins,
 * renewals, the JWKS, the stylesheet), left idle, then after a full garbage collection. Baseline: a bare
 * `node` process holding an idle http server, treated the same way, in the same run. Target: < 120 MB.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { processMemory } from '../lib/cpu.js'
import { freePort, stopChild } from '../lib/proc.js'
import { fmtFixed, median, table } from '../lib/stats.js'
import { browserLogin, getStatus, prepareData, removeDir, startAirlock, tempDir, waitHealthy } from './airlock.js'
import { verdictText, type CommonOptions, type Verdict } from './summary.js'

export const RSS_TARGET_MB = 120
const MB = 1024 * 1024
const SETTLE_MS = 2000
const AFTER_GC_MS = 1500

export interface RssOptions extends CommonOptions {
  samples: number
}

const preload = fileURLToPath(new URL('./gc-on-signal.cjs', import.meta.url))
const nodeArgs = ['--expose-gc', '--require', preload]
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Memory {
  /** After the requests and SETTLE_MS of idling. */
  idle: number
  /** After a full GC (SIGUSR2 to the preload) and AFTER_GC_MS more. */
  afterGc: number
  /** The peak (VmHWM). */
  peak: number
}

async function settle(pid: number, proc: ChildProcess): Promise<Memory> {
  await sleep(SETTLE_MS)
  const idle = processMemory(pid).rss
  proc.kill('SIGUSR2')
  await sleep(AFTER_GC_MS)
  const { rss, peak } = processMemory(pid)
  return { idle, afterGc: rss, peak }
}

async function times<T>(n: number, f: (i: number) => Promise<T>): Promise<void> {
  for (let i = 0; i < n; i++) await f(i)
}

async function expect200(url: string, init?: RequestInit): Promise<void> {
  const res = await fetch(url, init)
  await res.arrayBuffer()
  if (res.status !== 200) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status}`)
}

async function airlockSample(): Promise<Memory> {
  const dataDir = tempDir('rss')
  try {
    const prepared = await prepareData({ dataDir, users: 4, sessions: 10 })
    const airlock = await startAirlock({ dataDir, port: prepared.port, core: null, nodeArgs })
    try {
      const { url } = airlock
      await times(10, () => expect200(`${url}/healthz`))
      await times(10, () => expect200(`${url}/login`))
      await times(2, () => expect200(`${url}/connect/jwks`))
      await times(2, () => expect200(`${url}/assets/airlock.css`))
      // Eight logins, four at a time, so that every thread of libuv's pool hashes.
      await times(2, () => Promise.all(prepared.emails.map((email) => browserLogin(url, email))))
      await times(10, (i) => expect200(`${url}/connect/renew`, { method: 'POST', headers: { authorization: `Bearer ${prepared.tokens[i]!}` } }))
      return await settle(airlock.pid, airlock.proc)
    } finally {
      await airlock.stop()
    }
  } finally {
    removeDir(dataDir)
  }
}

const BARE_SERVER = `
const server = require('node:http').createServer((req, res) => {
  res.setHeader('content-type', 'application/json')
  res.end('{"status":"ok"}')
})
server.listen(Number(process.env.PORT), '127.0.0.1')
`

async function bareSample(): Promise<Memory> {
  const port = await freePort()
  const proc = spawn(process.execPath, [...nodeArgs, '-e', BARE_SERVER], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PORT: String(port), NODE_OPTIONS: '' } })
  try {
    // Any path answers 200, /healthz included.
    await waitHealthy(proc, `http://127.0.0.1:${port}`)
    await times(30, async () => {
      if ((await getStatus(`http://127.0.0.1:${port}/`)) !== 200) throw new Error('the bare server did not answer')
    })
    return await settle(proc.pid!, proc)
  } finally {
    await stopChild(proc)
  }
}

export async function rssBench(o: RssOptions): Promise<Verdict> {
  const { log } = o
  log(
    `${o.samples} samples each, interleaved, a new process each: the requests, ${SETTLE_MS / 1000} s idle (RSS "idle"), ` +
      `then a full GC and ${AFTER_GC_MS / 1000} s more (RSS "after GC", the figure); both run with ${nodeArgs.join(' ')}`,
  )
  const bare: Memory[] = []
  const airlock: Memory[] = []
  for (let i = 1; i <= o.samples; i++) {
    bare.push(await bareSample())
    airlock.push(await airlockSample())
    const mb = (m: Memory) => `${fmtFixed(m.afterGc / MB, 1)} MB (idle ${fmtFixed(m.idle / MB, 1)}, peak ${fmtFixed(m.peak / MB, 1)})`
    log(`Sample ${i}/${o.samples}: bare node ${mb(bare.at(-1)!)}, airlock ${mb(airlock.at(-1)!)}`)
  }
  const m = (list: Memory[], f: (x: Memory) => number) => median(list.map(f)) / MB
  const bareMb = m(bare, (x) => x.afterGc)
  const airlockMb = m(airlock, (x) => x.afterGc)
  const pass = airlockMb < RSS_TARGET_MB
  const row = (label: string, list: Memory[], verdict: string) => [
    label,
    fmtFixed(m(list, (x) => x.afterGc), 1),
    list.map((x) => fmtFixed(x.afterGc / MB, 1)).join(' / '),
    fmtFixed(m(list, (x) => x.idle), 1),
    fmtFixed(m(list, (x) => x.peak), 1),
    `${(m(list, (x) => x.afterGc) / bareMb).toFixed(1)}×`,
    verdict,
  ]
  log('')
  log(
    table(
      ['process', 'RSS after GC, MB (median)', 'per sample', 'RSS idle, before GC', 'peak RSS', 'vs bare node', 'target'],
      [row('bare node http server (baseline)', bare, ''), row('airlock start', airlock, `${verdictText(pass)} (${pass ? '<' : '≥'} ${RSS_TARGET_MB} MB)`)],
      [false, true, true, true, true, true, false],
    ),
  )
  log('')
  return {
    bench: 'idle RSS',
    figure: `${fmtFixed(airlockMb, 1)} MB`,
    baseline: `bare node ${fmtFixed(bareMb, 1)} MB`,
    ratio: `${(airlockMb / bareMb).toFixed(1)}×`,
    target: `< ${RSS_TARGET_MB} MB`,
    pass,
  }
}
