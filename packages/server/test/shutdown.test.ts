import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readlinkSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { DIALECTS, freshPostgres } from './support/dialects.js'
import { freePort } from './support/server.js'

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js')
/** The lock Kysely's migrator takes on PostgreSQL (kysely/dist/esm/dialect/postgres/postgres-adapter.js). */
const KYSELY_MIGRATION_LOCK = '3853314791062309107'

interface Started {
  child: ChildProcess
  port: number
  data: string
  out: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>
}

function startProcess(env: Record<string, string>, data = mkdtempSync(join(tmpdir(), 'airlock-stop-'))): Promise<Started> {
  return freePort().then((port) => {
    const child = spawn(process.execPath, [bin, 'start', '--port', String(port), '--data', data], {
      env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'silent', AIRLOCK_HOST: '127.0.0.1', ...env },
    })
    let out = ''
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (out += text))
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (out += text))
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    )
    return { child, port, data, out: () => out, exited }
  })
}

async function until(what: string, test: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 10))) if (await test()) return
  throw new Error(`timed out waiting for ${what}`)
}

const listening = (started: Started) => until('the banner', () => started.out().includes('AUTHROCKET_JWT_KEY'))

describe('stopping airlock start', () => {
  it('a slow client sending headers does not keep a stopping server alive past AIRLOCK_SHUTDOWN_SECONDS', async () => {
    const server = await startProcess({ AIRLOCK_SHUTDOWN_SECONDS: '1' })
    await listening(server)
    // Half a request: Node counts the connection as busy (not idle) and would wait for it up to headersTimeout.
    const slow = connect(server.port, '127.0.0.1')
    slow.on('error', () => {})
    await new Promise((resolve) => slow.once('connect', resolve))
    slow.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ')
    await new Promise((r) => setTimeout(r, 200))
    const signalled = Date.now()
    server.child.kill('SIGTERM')
    const exit = await server.exited
    slow.destroy()
    expect(exit).toMatchObject({ code: 0, signal: null })
    expect(exit.at - signalled).toBeLessThan(5_000)
  }, 30_000)

  it('a request in flight at SIGTERM completes, then the process exits 0', async () => {
    const server = await startProcess({})
    await listening(server)
    const socket = connect(server.port, '127.0.0.1')
    let answer = ''
    socket.setEncoding('utf8').on('data', (text: string) => (answer += text))
    await new Promise((resolve) => socket.once('connect', resolve))
    // The headers are in, the body isn't yet: the request is being served when the signal comes.
    const body = 'email=a%40example.com&password=x'
    socket.write(`POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\nemail=`)
    await new Promise((r) => setTimeout(r, 300))
    server.child.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 300))
    socket.end(body.slice('email='.length))
    const exit = await server.exited
    expect(answer).toMatch(/^HTTP\/1\.1 \d{3} /)
    expect(answer).not.toMatch(/^HTTP\/1\.1 5/)
    expect(exit).toMatchObject({ code: 0, signal: null })
  }, 30_000)

  it('rejects a bad AIRLOCK_SHUTDOWN_SECONDS at start, naming it', () => {
    const result = spawnSync(process.execPath, [bin, 'start', '--data', mkdtempSync(join(tmpdir(), 'airlock-stop-'))], {
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'silent', AIRLOCK_SHUTDOWN_SECONDS: 'soon' },
    })
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(/AIRLOCK_SHUTDOWN_SECONDS must be a number of seconds from 0 to 3600 \(got "soon"\)/)
  })
})

describe.each(DIALECTS)('a SIGTERM during start-up on %s', (dialect) => {
  it('exits cleanly (0) instead of being killed mid-migration, and leaves the database usable', async () => {
    const env: Record<string, string> = {}
    let lock: pg.Client | undefined
    let drop: (() => Promise<void>) | undefined
    if (dialect === 'postgres') {
      const database = await freshPostgres()
      env.DATABASE_URL = database.url
      drop = database.drop
      // Hold the migrations' lock: the process then waits inside its migration, where the signal finds it.
      lock = new pg.Client({ connectionString: database.url })
      await lock.connect()
      await lock.query(`select pg_advisory_lock(${KYSELY_MIGRATION_LOCK})`)
    }
    try {
      const server = await startProcess(env)
      if (lock) {
        await until('the migration to wait for its lock', async () => {
          const waiting = await lock!.query(`select 1 from pg_stat_activity where wait_event_type = 'Lock' and wait_event = 'advisory' and datname = current_database()`)
          return waiting.rowCount! > 0
        })
      } else {
        // The database file is open: the process is in its start-up (migrating, making keys), not yet serving.
        await until('the database to be opened', () => {
          try {
            return readdirSync(`/proc/${server.child.pid}/fd`).some((fd) => readlinkSync(`/proc/${server.child.pid}/fd/${fd}`).endsWith('airlock.db'))
          } catch {
            return false
          }
        })
      }
      expect(server.out()).not.toContain('Airlock is running')
      server.child.kill('SIGTERM')
      if (lock) {
        await new Promise((r) => setTimeout(r, 300))
        await lock.query(`select pg_advisory_unlock(${KYSELY_MIGRATION_LOCK})`)
      }
      expect(await server.exited).toMatchObject({ code: 0, signal: null })

      // The next start finds a complete database and serves.
      const again = await startProcess(env, server.data)
      await listening(again)
      const health = await fetch(`http://127.0.0.1:${again.port}/healthz`)
      expect(health.status).toBe(200)
      again.child.kill('SIGTERM')
      expect(await again.exited).toMatchObject({ code: 0, signal: null })
    } finally {
      await lock?.end()
      await drop?.()
    }
  }, 60_000)
})
