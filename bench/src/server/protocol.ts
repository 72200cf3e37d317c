/** Messages between the server benchmarks' orchestrators and their child processes (load.ts, hash.ts). */

/** What the load generator sends, over and over, on each connection. */
export type Work =
  /** `GET path`; every answer must be 2xx. */
  | { kind: 'get'; path: string }
  /** `POST /connect/renew` with `Authorization: Bearer <token>`, the tokens taken in turn; every answer must be 200. */
  | { kind: 'renew' }
  /**
   * A full password login, as a browser does it: `GET /login?redirect_uri=…` (the form: its csrf field and
   * cookie), then `POST /login?redirect_uri=…` with the csrf, redirect_uri, email and password fields and
   * the cookie; it must answer 303 to the app with `?token=` in Location. The emails are taken in turn.
   */
  | { kind: 'login' }

export interface LoadSetup {
  type: 'setup'
  id: number
  tokens: string[]
  emails: string[]
  password: string
  redirectUri: string
}

export interface LoadRun {
  type: 'run'
  id: number
  /** The server's origin, http://127.0.0.1:PORT. */
  origin: string
  work: Work
  durationSec: number
  connections: number
}

export interface LoadResult {
  type: 'result'
  id: number
  /** Completed operations (responses; for logins, the POSTs answered with a token) per second. */
  rate: number
  completed: number
  elapsedSec: number
  /** Answers that were not what the work expects, with up to three examples. */
  failures: number
  failureSamples: string[]
  errors: number
  timeouts: number
  /** Per response for get and renew (autocannon's); per login (GET sent to token received) for logins. */
  latencyP50Ms: number
  latencyP99Ms: number
  /** The load generator's own CPU time during the run, in microseconds. */
  cpuUs: number
}

export type ToLoad = LoadSetup | LoadRun | { type: 'exit' }
export type FromLoad = { type: 'ready'; id?: undefined } | { type: 'setup-done'; id: number } | LoadResult | { type: 'failed'; id: number; message: string }

/** The raw argon2id child: hash (or verify) back to back for `durationSec`, `inFlight` at a time. */
export interface HashRun {
  type: 'run'
  id: number
  op: 'hash' | 'verify'
  durationSec: number
  inFlight: number
}

export interface HashResult {
  type: 'result'
  id: number
  /** Operations completed within the run's duration, per second. */
  rate: number
  completed: number
  elapsedSec: number
  /** The child's own CPU time during the run (all threads), in microseconds. */
  cpuUs: number
}

export type ToHash = HashRun | { type: 'exit' }
export type FromHash = { type: 'ready'; id?: undefined; options: Record<string, number>; poolSize: string; module: string } | HashResult
