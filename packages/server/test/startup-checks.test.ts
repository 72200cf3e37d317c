import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/load.js'
import { latestMigration } from '../src/db/migrate.js'
import { airlock, bin, cliEnv } from './support/cli.js'
import { DIALECTS, freshPostgres, PG_ADMIN_URL } from './support/dialects.js'
import { freePort, startServer, type TestServer } from './support/server.js'

// Issue 13: settings that can't work stop the start (exit 2, a message naming the setting) or, when only
// traffic shows them, make /healthz fail with the reason, instead of failing users later.

const PASSWORD = 'pw-never-printed-7f3a'

const dataDirs: string[] = []
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-startup-'))
  dataDirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true })
})

/** A postgres:// URL like the machine's, with a password in it and `change` applied. */
function pgUrl(change: (url: URL) => void): string {
  const url = new URL(PG_ADMIN_URL)
  url.password = PASSWORD
  change(url)
  return url.href
}

describe('an unreachable database stops airlock start with exit 2, naming DATABASE_URL, never its password', () => {
  it('a closed port: refused within seconds', async () => {
    const port = await freePort()
    const run = await airlock(['start', '--port', String(await freePort()), '--data', dataDir()], { DATABASE_URL: pgUrl((url) => (url.port = String(port))) })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^airlock: DATABASE_URL \(postgres:\/\/[^:]+:\*\*\*@[^)]+\): the database can't be reached: connect ECONNREFUSED/)
    expect(run.stderr + run.stdout).not.toContain(PASSWORD)
    expect(run.stderr).not.toMatch(/\n\s+at /)
    expect(run.ms).toBeLessThan(10_000)
  })

  it.runIf(DIALECTS.includes('postgres'))('a database that does not exist on a running server', async () => {
    const missing = `airlock_missing_${randomBytes(4).toString('hex')}`
    const run = await airlock(['start', '--port', String(await freePort()), '--data', dataDir()], {
      DATABASE_URL: `${pgUrl((url) => (url.pathname = `/${missing}`))}?password=${PASSWORD}`,
    })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`airlock: DATABASE_URL (`)
    expect(run.stderr).toContain(`database "${missing}" does not exist`)
    expect(run.stderr + run.stdout).not.toContain(PASSWORD)
    expect(run.ms).toBeLessThan(10_000)
  })
})

describe('AIRLOCK_TRUST_PROXY=true with a public URL that is not https', () => {
  it('airlock start refuses an http public URL on a real host name, naming both settings', async () => {
    const run = await airlock(['start', '--port', String(await freePort()), '--data', dataDir()], {
      AIRLOCK_TRUST_PROXY: 'true',
      AIRLOCK_PUBLIC_URL: 'http://login.example.com',
    })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^airlock: AIRLOCK_PUBLIC_URL is http:\/\/login\.example\.com while AIRLOCK_TRUST_PROXY=true: .*https/)
    expect(run.stdout).not.toContain('Airlock is running')
  })

  it('names --public-url when the URL came from the flag', () => {
    expect(() => loadConfig({ publicUrl: 'http://10.0.0.5:4000', env: { AIRLOCK_TRUST_PROXY: 'true' } })).toThrow(/^--public-url is http:\/\/10\.0\.0\.5:4000 while AIRLOCK_TRUST_PROXY=true/)
  })

  it('accepts https, and http on loopback (a proxy on the same machine, for trying it out)', () => {
    for (const publicUrl of ['https://login.example.com', 'http://localhost:4000', 'http://127.0.0.1:4000', 'http://[::1]:4000']) {
      expect(loadConfig({ publicUrl, env: { AIRLOCK_TRUST_PROXY: 'true' } }).publicUrl).toBe(new URL(publicUrl).origin)
    }
    expect(loadConfig({ publicUrl: 'http://login.example.com', env: { AIRLOCK_TRUST_PROXY: 'false' } }).trustProxy).toBe(false)
  })
})

/** A line logged at `error` or above. */
function errorSink(lines: Record<string, unknown>[]) {
  return pino(
    { level: 'error' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>)
        done()
      },
    }),
  )
}

describe('a proxy whose X-Forwarded-Proto disagrees with the public URL, seen while serving', () => {
  it('http public URL, proxy says https: one error logged, /healthz 503 naming AIRLOCK_PUBLIC_URL; pages still answer', async () => {
    const logged: Record<string, unknown>[] = []
    const server: TestServer = await startServer({ dialect: 'sqlite', trustProxy: true, logger: errorSink(logged) })
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
      // Agreeing requests change nothing.
      expect((await fetch(`${server.url}/login`, { headers: { 'x-forwarded-proto': 'http' } })).status).toBe(200)
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200)

      for (let i = 0; i < 3; i++) expect((await fetch(`${server.url}/login`, { headers: { 'x-forwarded-proto': 'https' } })).status).toBe(200)
      const health = await fetch(`${server.url}/healthz`)
      expect(health.status).toBe(503)
      const body = (await health.json()) as { status: string; reason: string }
      expect(body.status).toBe('misconfigured')
      expect(body.reason).toBe(`AIRLOCK_PUBLIC_URL is ${server.url} but the proxy in front says browsers arrive over https (X-Forwarded-Proto): make them agree and restart`)
      expect(logged.filter((line) => line.msg === body.reason)).toHaveLength(1)
    } finally {
      await server.close()
    }
  })

  it('without AIRLOCK_TRUST_PROXY the header is not believed: /healthz stays 200', async () => {
    const server = await startServer({ dialect: 'sqlite', trustProxy: false })
    try {
      await fetch(`${server.url}/login`, { headers: { 'x-forwarded-proto': 'https' } })
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    } finally {
      await server.close()
    }
  })

  describe('https public URL, proxy says http (airlock start as its own process)', () => {
    let child: ChildProcess
    let port: number
    let output = ''

    beforeAll(async () => {
      port = await freePort()
      child = spawn(process.execPath, [bin, 'start', '--port', String(port), '--data', dataDir()], {
        env: { ...cliEnv(), LOG_LEVEL: 'error', AIRLOCK_TRUST_PROXY: 'true', AIRLOCK_PUBLIC_URL: 'https://login.example.com' },
      })
      child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text))
      child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text))
      for (const end = Date.now() + 20_000; !output.includes('AUTHROCKET_JWT_KEY'); await new Promise((r) => setTimeout(r, 50))) {
        if (Date.now() > end || child.exitCode !== null) throw new Error(`airlock start did not start:\n${output}`)
      }
    })
    afterAll(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
    })

    it('the first request over http through the proxy turns /healthz to 503 naming AIRLOCK_PUBLIC_URL, logged once', async () => {
      const viaProxy = { host: 'login.example.com', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'login.example.com' }
      await (await fetch(`http://127.0.0.1:${port}/login`, { headers: viaProxy })).body?.cancel()
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)

      for (let i = 0; i < 2; i++) {
        await (await fetch(`http://127.0.0.1:${port}/login`, { headers: { ...viaProxy, 'x-forwarded-proto': 'http' } })).body?.cancel()
      }
      const health = await fetch(`http://127.0.0.1:${port}/healthz`)
      expect(health.status).toBe(503)
      const { reason } = (await health.json()) as { reason: string }
      expect(reason).toMatch(/^AIRLOCK_PUBLIC_URL is https:\/\/login\.example\.com but the proxy in front says browsers arrive over http/)
      expect(output.split('\n').filter((line) => line.includes(reason))).toHaveLength(1)
    })
  })
})

describe('a master key that does not open the keys', () => {
  it('SQLite with another AIRLOCK_SECRET: exit 2, naming AIRLOCK_SECRET and the data folder', async () => {
    const data = dataDir()
    const first = await airlock(['init', '--json', '--data', data], { AIRLOCK_SECRET: randomBytes(32).toString('hex') })
    expect(first.code, first.stderr).toBe(0)
    const run = await airlock(['start', '--port', String(await freePort()), '--data', data], { AIRLOCK_SECRET: randomBytes(32).toString('hex') })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`airlock: AIRLOCK_SECRET is not the secret this database's keys were sealed with (the SQLite database in the data folder ${data})`)
  })
})

describe('upgrades: two versions meeting one database', () => {
  it('an older version on a database a newer one migrated refuses to start, naming both schema versions, and leaves the schema alone', async () => {
    const data = dataDir()
    expect((await airlock(['init', '--json', '--data', data], {})).code).toBe(0)
    // What a newer version leaves behind: a migration this version doesn't know.
    const file = new SQLite(join(data, 'airlock.db'))
    file.prepare(`insert into kysely_migration (name, timestamp) values ('9999_from_a_newer_version', ?)`).run(new Date().toISOString())
    const tables = () => file.prepare(`select name from sqlite_master order by name`).all()
    const before = tables()

    const run = await airlock(['start', '--port', String(await freePort()), '--data', data], {})
    expect(run.code).toBe(2)
    expect(run.stderr).toBe(
      `airlock: The database in the data folder ${data} was upgraded by a newer Airlock: its schema is at migration 9999_from_a_newer_version, and this build knows up to ${latestMigration}. Run that version or a newer one (a schema is never downgraded; to go back, restore the backup taken before the upgrade)\n`,
    )
    expect(run.stdout).not.toContain('Airlock is running')
    expect(tables()).toEqual(before)
    file.close()
  })
})

describe.runIf(DIALECTS.includes('postgres'))('upgrades on PostgreSQL', () => {
  it('an older version on a PostgreSQL database a newer one migrated refuses to start, naming DATABASE_URL, and writes nothing', async () => {
    const database = await freshPostgres()
    const client = new pg.Client({ connectionString: database.url })
    try {
      expect((await airlock(['init', '--json', '--data', dataDir()], { DATABASE_URL: database.url })).code).toBe(0)
      await client.connect()
      await client.query(`insert into kysely_migration (name, timestamp) values ('9999_from_a_newer_version', $1)`, [new Date().toISOString()])
      const count = async () => (await client.query(`select count(*)::int as n from kysely_migration`)).rows[0].n as number
      const before = await count()

      const run = await airlock(['start', '--port', String(await freePort()), '--data', dataDir()], { DATABASE_URL: database.url })
      expect(run.code).toBe(2)
      expect(run.stderr).toMatch(/^airlock: The database at DATABASE_URL was upgraded by a newer Airlock: its schema is at migration 9999_from_a_newer_version, /)
      expect(await count()).toBe(before)
    } finally {
      await client.end()
      await database.drop()
    }
  })
})
