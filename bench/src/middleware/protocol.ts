/** Messages between the orchestrator (main.ts) and its two child processes. */

export type ScenarioName = 'bare' | 'cookie' | 'bearer' | 'fresh'

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
}

export type ToLoad = LoadRun | { type: 'exit' }
export type FromLoad = LoadResult | { type: 'ready'; poolSize: number } | { type: 'failed'; id: number; message: string }

export type ToServer = { type: 'exit' }
export type FromServer = { type: 'ready'; bareUrl: string; authUrl: string; middleware: string }
