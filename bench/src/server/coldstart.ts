/**
 * Cold start: the time from spawning `airlock start` (the built CLI) to the first 200 from `GET /healthz`,
 * with a fresh data folder (migrations, the realm, its RSA key, the master key file) and again with the
 * folder that start left (the usual restart). Baseline: spawning `node -e ""` until it exits, in the same
 * rounds. Target: both under 1 s.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fmt, median, table } from '../lib/stats.js'
import { freePort, stopChild } from '../lib/proc.js'
import { removeDir, spawnAirlock, tempDir, waitHealthy } from './airlock.js'
import { verdictText, type CommonOptions, type Verdict } from './summary.js'

export const COLD_START_TARGET_MS = 1000

export interface ColdStartOptions extends CommonOptions {
  starts: number
}

async function nodeStartup(): Promise<number> {
  const started = performance.now()
  const proc = spawn(process.execPath, ['-e', ''], { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } })
  const [code] = (await once(proc, 'exit')) as [number | null]
  if (code !== 0) throw new Error(`node -e "" exited with ${code}`)
  return performance.now() - started
}

/** ms from spawn to the first 200 of /healthz (polled every 5 ms), then a clean stop. */
async function airlockStartup(dataDir: string): Promise<number> {
  const port = await freePort()
  const started = performance.now()
  const proc = spawnAirlock({ dataDir, port, core: null })
  try {
    return (await waitHealthy(proc, `http://127.0.0.1:${port}`, { intervalMs: 5, timeoutMs: 30_000 })) - started
  } finally {
    await stopChild(proc, 10_000)
  }
}

export async function coldStartBench(o: ColdStartOptions): Promise<Verdict[]> {
  const { log } = o
  log(`${o.starts} rounds, each: node -e "", airlock start on a fresh data folder, airlock start again on that folder (unpinned, both cores, as a user runs it)`)
  const times = { node: [] as number[], fresh: [] as number[], existing: [] as number[] }
  // One start not counted: the first spawn of anything pays for the disk cache.
  const warm = tempDir('coldstart')
  try {
    await nodeStartup()
    await airlockStartup(warm)
  } finally {
    removeDir(warm)
  }
  for (let round = 1; round <= o.starts; round++) {
    const dataDir = tempDir('coldstart')
    try {
      times.node.push(await nodeStartup())
      times.fresh.push(await airlockStartup(dataDir))
      times.existing.push(await airlockStartup(dataDir))
    } finally {
      removeDir(dataDir)
    }
    log(`Round ${round}/${o.starts}: node -e "" ${fmt(times.node.at(-1)!)} ms, fresh ${fmt(times.fresh.at(-1)!)} ms, existing ${fmt(times.existing.at(-1)!)} ms`)
  }
  const node = median(times.node)
  const rows = (['node', 'fresh', 'existing'] as const).map((name) => {
    const m = median(times[name])
    const verdict = name === 'node' ? '' : `${verdictText(m < COLD_START_TARGET_MS)} (${m < COLD_START_TARGET_MS ? '<' : '≥'} ${COLD_START_TARGET_MS} ms)`
    const label = name === 'node' ? 'node -e "" (baseline)' : `airlock start, ${name} data folder`
    return [label, fmt(m), times[name].map(fmt).join(' / '), `${(m / node).toFixed(1)}×`, verdict]
  })
  log('')
  log(table(['start', 'ms (median)', 'ms per round', 'vs node -e', 'target'], rows, [false, true, true, true, false]))
  log('')
  return (['fresh', 'existing'] as const).map((name) => {
    const m = median(times[name])
    return {
      bench: `cold start, ${name} data folder`,
      figure: `${fmt(m)} ms`,
      baseline: `node -e "" ${fmt(node)} ms`,
      ratio: `${(m / node).toFixed(1)}×`,
      target: `< ${COLD_START_TARGET_MS} ms`,
      pass: m < COLD_START_TARGET_MS,
    }
  })
}
