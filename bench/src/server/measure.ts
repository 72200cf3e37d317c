/**
 * What the throughput benchmarks (login, renew) share: the load generator child, measuring one run of a
 * scenario against a target process (CPU from /proc, the noise of other processes), interleaved rounds.
 */
import type { ChildProcess } from 'node:child_process'
import { coreBusyUs, machineBusyUs, processCpuUs } from '../lib/cpu.js'
import { canPin, firstMessage, forkOn, request } from '../lib/proc.js'
import { fmt, median } from '../lib/stats.js'
import type { FromLoad, LoadResult, LoadRun, LoadSetup, ToLoad, Work } from './protocol.js'

/** The server under test (and the raw baselines) run on this core; the load generator on LOAD_CORE. */
export const SERVER_CORE = 1
export const LOAD_CORE = 0

/** The core the targets are pinned to, or null when this machine can't pin (then nothing is pinned). */
export const serverCore = (): number | null => (canPin() ? SERVER_CORE : null)
export const loadCore = (): number | null => (canPin() ? LOAD_CORE : null)

export interface Sample {
  /** Operations per second (requests, logins, hashes). */
  rate: number
  completed: number
  elapsedSec: number
  /** The target process's CPU time (all threads) per operation, in microseconds. */
  cpuUsPerOp: number
  /** The CPU time of the target's main thread (its event loop: JavaScript, and SQLite's synchronous calls) per operation, in µs. */
  loopUsPerOp: number
  /** The target's CPU time over wall time (at most 1.0 when pinned to one core). */
  targetCores: number
  /** The load generator's CPU time over wall time (0 for the raw hash baseline: there is none). */
  loadCores: number
  /** Busy time of the target's core not spent by the target, over wall time: other processes on its core. NaN unpinned. */
  coreOthers: number
  /** The machine's busy time less the target's, the load generator's and this process's, over wall time. */
  otherCores: number
  latencyP50Ms: number
  latencyP99Ms: number
}

/** Runs `work` (which returns when the run is over) and accounts the target's and the machine's CPU around it. */
export async function sampled(
  targetPid: number,
  work: () => Promise<{ completed: number; elapsedSec: number; loadCpuUs: number; latencyP50Ms?: number; latencyP99Ms?: number }>,
): Promise<Sample> {
  const core = serverCore()
  const targetBefore = processCpuUs(targetPid)
  const loopBefore = processCpuUs(targetPid, targetPid)
  const machineBefore = machineBusyUs()
  const coreBefore = core === null ? Number.NaN : coreBusyUs(core)
  const selfBefore = process.cpuUsage()
  const started = performance.now()
  const r = await work()
  const wallSec = (performance.now() - started) / 1000
  const self = process.cpuUsage(selfBefore)
  const targetUs = processCpuUs(targetPid) - targetBefore
  const loopUs = processCpuUs(targetPid, targetPid) - loopBefore
  const machineUs = machineBusyUs() - machineBefore
  const coreUs = core === null ? Number.NaN : coreBusyUs(core) - coreBefore
  return {
    rate: r.completed / r.elapsedSec,
    completed: r.completed,
    elapsedSec: r.elapsedSec,
    cpuUsPerOp: targetUs / Math.max(1, r.completed),
    loopUsPerOp: loopUs / Math.max(1, r.completed),
    targetCores: targetUs / 1e6 / wallSec,
    loadCores: r.loadCpuUs / 1e6 / wallSec,
    coreOthers: Math.max(0, (coreUs - targetUs) / 1e6 / wallSec),
    otherCores: Math.max(0, (machineUs - targetUs - r.loadCpuUs - self.user - self.system) / 1e6 / wallSec),
    latencyP50Ms: r.latencyP50Ms ?? Number.NaN,
    latencyP99Ms: r.latencyP99Ms ?? Number.NaN,
  }
}

/** The autocannon child (load.ts), on the load core. */
export class LoadGenerator {
  private nextId = 0
  private constructor(readonly proc: ChildProcess) {}

  static async start(): Promise<LoadGenerator> {
    const proc = forkOn(loadCore(), new URL('./load.ts', import.meta.url).pathname, {})
    const ready = await firstMessage<FromLoad>(proc, 'the load generator')
    if (ready.type !== 'ready') throw new Error('the load generator did not start')
    return new LoadGenerator(proc)
  }

  async setup(data: Omit<LoadSetup, 'type' | 'id'>): Promise<void> {
    const message: LoadSetup = { type: 'setup', id: this.nextId++, ...data }
    await request<FromLoad>(this.proc, message)
  }

  /** One autocannon run; throws on socket errors, timeouts or any unexpected answer (a fast error page would look like a fast server). */
  async run(origin: string, work: Work, durationSec: number, connections: number): Promise<LoadResult> {
    const message: LoadRun = { type: 'run', id: this.nextId++, origin, work, durationSec, connections }
    const answer = await request<FromLoad>(this.proc, message)
    if (answer.type === 'failed') throw new Error(`autocannon failed: ${answer.message}`)
    if (answer.type !== 'result') throw new Error(`unexpected answer from the load generator: ${answer.type}`)
    if (answer.failures > 0 || answer.errors > 0 || answer.timeouts > 0) {
      throw new Error(
        `${work.kind}: ${answer.failures} unexpected answers, ${answer.errors} errors, ${answer.timeouts} timeouts; the figures would be meaningless. ` +
          `Examples: ${answer.failureSamples.join(' | ')}`,
      )
    }
    return answer
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return
    const exited = new Promise((resolve) => this.proc.once('exit', resolve))
    this.proc.send({ type: 'exit' } satisfies ToLoad)
    await exited
  }
}

export interface Schedule {
  warmupSec: number
  rounds: number
  durationSec: number
}

/**
 * Runs every scenario once per round, in order, after a warm-up round (not counted): interleaving spreads a
 * shared machine's noise over all scenarios instead of letting it land on one. Prints each round's rates.
 */
export async function interleave<Name extends string>(
  names: readonly Name[],
  measure: (name: Name, seconds: number) => Promise<Sample>,
  { warmupSec, rounds, durationSec }: Schedule,
  unit = '/s',
): Promise<Map<Name, Sample[]>> {
  const note = (s: Sample) => {
    const others = Number.isNaN(s.coreOthers) ? s.otherCores : s.coreOthers
    return others > 0.1 ? ` (other processes on its core: ${others.toFixed(2)})` : ''
  }
  if (warmupSec > 0) {
    process.stdout.write('Warm-up:')
    for (const name of names) process.stdout.write(` ${name} ${fmt((await measure(name, warmupSec)).rate)}${unit}`)
    process.stdout.write('\n')
  }
  const results = new Map<Name, Sample[]>(names.map((n) => [n, []]))
  for (let round = 1; round <= rounds; round++) {
    process.stdout.write(`Round ${round}/${rounds}:`)
    for (const name of names) {
      const s = await measure(name, durationSec)
      results.get(name)!.push(s)
      process.stdout.write(` ${name} ${fmt(s.rate)}${unit}${note(s)}`)
    }
    process.stdout.write('\n')
  }
  return results
}

/** The medians of a scenario's samples, field by field. */
export function medianSample(samples: Sample[]): Sample {
  const m = (f: (s: Sample) => number) => median(samples.map(f))
  return {
    rate: m((s) => s.rate),
    completed: m((s) => s.completed),
    elapsedSec: m((s) => s.elapsedSec),
    cpuUsPerOp: m((s) => s.cpuUsPerOp),
    loopUsPerOp: m((s) => s.loopUsPerOp),
    targetCores: m((s) => s.targetCores),
    loadCores: m((s) => s.loadCores),
    coreOthers: m((s) => s.coreOthers),
    otherCores: m((s) => s.otherCores),
    latencyP50Ms: m((s) => s.latencyP50Ms),
    latencyP99Ms: m((s) => s.latencyP99Ms),
  }
}

/** A positive number from an option, or an error naming it. */
export function positive(name: string, value: string | undefined): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number (got ${JSON.stringify(value)})`)
  return n
}

/** A number of seconds ≥ 0 (0 turns the warm-up off). */
export function seconds(name: string, value: string | undefined): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number of seconds ≥ 0 (got ${JSON.stringify(value)})`)
  return n
}

export function pinningNote(): string {
  return canPin()
    ? `the server under test on core ${SERVER_CORE} (taskset -c ${SERVER_CORE}, every thread of it: event loop, libuv's pool, V8's helpers), autocannon on core ${LOAD_CORE}`
    : 'NOT PINNED: taskset is missing or the machine has one core; the figures are not one core’s'
}
