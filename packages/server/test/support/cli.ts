import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll } from 'vitest'
import { runCli } from '../../src/cli/run.js'
import { freshPostgres } from './dialects.js'

/** The built CLI, as `npx @airlock/server` runs it (`npm test` builds first). */
export const bin = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js')

export interface Exit {
  code: number | null
  stdout: string
  stderr: string
  /** From spawn to exit. */
  ms: number
}

/** Settings a test must choose itself rather than inherit from the shell that runs the tests. */
const CHOSEN_BY_TESTS = ['DATABASE_URL', 'AIRLOCK_SECRET', 'AIRLOCK_TRUST_PROXY', 'AIRLOCK_PUBLIC_URL', 'PORT', 'AIRLOCK_DATA', 'AIRLOCK_SMTP_URL', 'AIRLOCK_METRICS_ADDRESS']

/** This process's environment without the settings the tests choose, quiet, on loopback, plus `env`. */
export function cliEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent', AIRLOCK_HOST: '127.0.0.1' }
  for (const name of CHOSEN_BY_TESTS) delete clean[name]
  return { ...clean, ...env }
}

/**
 * Runs one `airlock` command as its own process to its exit. A command still running after `timeoutMs` (a
 * `start` that should have refused, a hang) is killed, which fails the test that expected an exit code.
 */
export function airlock(args: string[], env: Record<string, string> = {}, timeoutMs = 20_000): Promise<Exit> {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: cliEnv(env) })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, ms: Date.now() - started })
    })
  })
}

/** Runs the CLI in-process and returns what it printed; `stdin` is what it may read. */
export async function cli(args: string[], env: Record<string, string | undefined> = {}, stdin?: string): Promise<string> {
  let out = ''
  await runCli(args, {
    env: { LOG_LEVEL: 'silent', ...env },
    stdout: { write: (text: string) => (out += text) },
    ...(stdin === undefined ? {} : { stdin: Readable.from([stdin]) }),
  })
  return out
}

/** Runs the CLI as its own process from the sources (as `airlock` runs), with `input` on its stdin; on SQLite. */
export function cliProcess(args: string[], input: string): SpawnSyncReturns<string> {
  const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts')
  return spawnSync(process.execPath, ['--import', 'tsx', main, ...args], {
    encoding: 'utf8',
    input,
    env: { ...process.env, DATABASE_URL: '', AIRLOCK_ADMIN_PASSWORD: undefined, LOG_LEVEL: 'silent' },
  })
}

/** A data folder (and, on PostgreSQL, a fresh database) for the enclosing describe block's CLI runs. */
export function useCliData(dialect: 'sqlite' | 'postgres', prefix: string) {
  const place = { data: '', env: {} as Record<string, string | undefined> }
  let drop: (() => Promise<void>) | undefined
  beforeAll(async () => {
    place.data = mkdtempSync(join(tmpdir(), prefix))
    if (dialect === 'postgres') {
      const database = await freshPostgres()
      place.env.DATABASE_URL = database.url
      drop = database.drop
    }
  })
  afterAll(async () => {
    await drop?.()
  })
  return place
}
