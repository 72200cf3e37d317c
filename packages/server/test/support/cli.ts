import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll } from 'vitest'
import { runCli } from '../../src/cli/run.js'
import { freshPostgres } from './dialects.js'

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
