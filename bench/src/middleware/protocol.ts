/** Messages between the orchestrator (main.ts) and its two child processes. */

export type ScenarioName = 'bare' | 'noop' | 'cookie' | 'bearer' | 'fresh'

/** What the load generator sends for one scenario. */
export interface LoadSpec {
  scenario: ScenarioName
  url: string
  headers: Record<string, string>
  /**
   * Fresh tokens: every request takes the next unused token of the pool, from `start` on, and puts
   * it in the Cookie header between `cookieBefore` and `cookieAfter`.
   */
  fresh?: { start: number; cookieBefore: string; cookieAfter: string }
}

export interface LoadRun {
  type: 'run'
  id: number
  spec: LoadSpec
  durationSec: number
  connections: number
  /** How many tokens the pool holds now (the load generator rereads it when it has fewer). */
  poolSize: number
}

export interface LoadResult {
  type: 'result'
  id: number
  scenario: ScenarioName
  /** Completed responses per second over the whole run (responses / elapsed seconds). */
  rps: number
  responses: number
  elapsedSec: number
  non2xx: number
  errors: number
  timeouts: number
  latencyP50Ms: number
  latencyP99Ms: number
  /** Fresh tokens only: how many pool tokens this run used, and whether the pool ran out. */
  tokensUsed: number
  exhausted: boolean
  /** The load generator's own CPU time during the run, in microseconds. */
  cpuUs: number
}

export type ToLoad = LoadRun | { type: 'exit' }
export type FromLoad = LoadResult | { type: 'ready'; poolSize: number } | { type: 'failed'; id: number; message: string }

export type ToServer = { type: 'cpu' } | { type: 'exit' }
export type FromServer =
  | { type: 'ready'; bareUrl: string; noopUrl: string; authUrl: string; middleware: string }
  /** The server process's CPU time so far (user + system, all threads), in microseconds. */
  | { type: 'cpu'; us: number }
