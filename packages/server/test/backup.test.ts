import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrations } from '../src/db/migrations/index.js'
import { APP, PASSWORD, back, signUp as signUpIn } from './support/accounts.js'
import { Browser, claimsOf, tokenFrom } from './support/browser.js'
import { airlock, bin } from './support/cli.js'
import { Client, freshIp } from './support/client.js'
import { DIALECTS, freshPostgres } from './support/dialects.js'
import { freePort, startServer } from './support/server.js'

const secret = () => randomBytes(32).toString('hex')

/** Runs the built CLI as its own process, without blocking this one (its signups keep going meanwhile). */
/** `airlock start` on a data folder, answering /healthz; trusts X-Forwarded-For so each client has its own address. */
async function startProcess(data: string, env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child = spawn(process.execPath, [bin, 'start', '--port', String(port), '--data', data, '--public-url', url], {
    env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'silent', AIRLOCK_HOST: '127.0.0.1', AIRLOCK_TRUST_PROXY: 'true', ...env },
    stdio: 'ignore',
  })
  for (let tries = 0; tries < 200; tries++) {
    if (await fetch(`${url}/healthz`).then((res) => res.ok, () => false)) return { url, child }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  child.kill('SIGKILL')
  throw new Error('airlock start did not answer /healthz')
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

async function signUp(url: string, email: string): Promise<boolean> {
  const browser = new Browser(url)
  const ip = { 'x-forwarded-for': freshIp() }
  await browser.get(`/signup?${back}`, ip)
  const res = await browser.post(`/signup?${back}`, { email, password: PASSWORD, first_name: 'Backed', last_name: 'Up' }, ip)
  return res.status === 303
}

async function logIn(url: string, email: string): Promise<string> {
  const browser = new Browser(url)
  const ip = { 'x-forwarded-for': freshIp() }
  await browser.get(`/login?${back}`, ip)
  const res = await browser.post(`/login?${back}`, { email, password: PASSWORD }, ip)
  expect(res.status, email).toBe(303)
  return tokenFrom(res)
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')
const integrity = (file: string) => {
  const database = new SQLite(file, { readonly: true })
  try {
    return database.pragma('integrity_check', { simple: true })
  } finally {
    database.close()
  }
}
/**
 * A few MB of event log, so the backup copies hundreds of pages while the server writes, as a database in use
 * would have, rather than a few dozen.
 */
function padEventLog(file: string): void {
  const database = new SQLite(file)
  const insert = database.prepare(`insert into events (event_type, data, created_at) values ('padding', ?, ?)`)
  database.transaction(() => {
    for (let i = 0; i < PADDING_EVENTS; i++) insert.run(JSON.stringify({ filler: randomBytes(384).toString('hex') }), new Date().toISOString())
  })()
  database.close()
}
const PADDING_EVENTS = 3000

const partialFiles = (folder: string) => readdirSync(folder).filter((name) => name.endsWith('.partial'))

describe('airlock backup and restore (SQLite)', () => {
  // Made in beforeAll, not at collection: a run filtered to other tests (-t) would never remove it.
  let work = ''
  let source = ''
  let backupFile = ''
  const masterKey = secret()
  const children: ChildProcess[] = []
  let live = ''

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'airlock-backup-'))
    source = join(work, 'source')
    backupFile = join(work, 'airlock-backup.db')
    const settings = await airlock(['realm', 'settings', '--data', source, `login_urls=${APP}`], { AIRLOCK_SECRET: masterKey })
    expect(settings.code, settings.stderr).toBe(0)
    padEventLog(join(source, 'airlock.db'))
    const server = await startProcess(source, { AIRLOCK_SECRET: masterKey })
    children.push(server.child)
    live = server.url
    // The backup the refusals below start from, whichever of them run.
    const made = await airlock(['backup', '--data', source, '--out', backupFile], {})
    expect(made.code, made.stderr).toBe(0)
  })
  afterAll(async () => {
    await Promise.all(children.map(stop))
    rmSync(work, { recursive: true, force: true })
  })

  it('a backup taken while signups pour in restores into a fresh folder where every signup acknowledged before it logs in', { timeout: 120_000 }, async () => {
    const acknowledged: string[] = []
    let sent = 0
    let writing = true
    const worker = async () => {
      while (writing) {
        const email = `load-${sent++}-${randomBytes(3).toString('hex')}@example.com`
        if (await signUp(live, email)) acknowledged.push(email)
      }
    }
    const workers = Array.from({ length: 3 }, worker)
    while (acknowledged.length < 12) await new Promise((resolve) => setTimeout(resolve, 20))

    const underLoad = join(work, 'under-load.db')
    const before = [...acknowledged]
    const during = acknowledged.length
    const made = await airlock(['backup', '--data', source, '--out', underLoad], {})
    const after = acknowledged.length
    // Let a few more land after the backup, then stop the load.
    while (acknowledged.length < after + 3) await new Promise((resolve) => setTimeout(resolve, 20))
    writing = false
    await Promise.all(workers)

    expect(made.code, made.stderr).toBe(0)
    // The server kept acknowledging signups while the backup ran.
    expect(after).toBeGreaterThan(during)
    const summary = JSON.parse(made.stdout)
    expect(summary).toMatchObject({ file: underLoad, bytes: statSync(underLoad).size })
    expect(summary.pages).toBeGreaterThan(PADDING_EVENTS / 5)
    expect(summary.tables).toBeGreaterThan(5)
    expect(typeof summary.took_ms).toBe('number')
    expect(statSync(underLoad).mode & 0o777).toBe(0o600)
    expect(partialFiles(work)).toEqual([])
    expect(integrity(underLoad)).toBe('ok')
    // The master key is not in the backup.
    expect(readFileSync(underLoad).includes(Buffer.from(masterKey))).toBe(false)

    const restored = join(work, 'restored')
    const put = await airlock(['restore', '--from', underLoad, '--data', restored], { AIRLOCK_SECRET: masterKey })
    expect(put.code, put.stderr).toBe(0)
    const report = JSON.parse(put.stdout)
    expect(report).toMatchObject({ file: join(restored, 'airlock.db'), from: underLoad, schema: Object.keys(migrations).at(-1), realms: 1 })
    expect(report.users).toBeGreaterThanOrEqual(before.length)
    expect(statSync(join(restored, 'airlock.db')).mode & 0o777).toBe(0o600)
    expect(statSync(restored).mode & 0o777).toBe(0o700)
    expect(integrity(join(restored, 'airlock.db'))).toBe('ok')
    // With AIRLOCK_SECRET set, no key file is made.
    expect(existsSync(join(restored, 'secret.key'))).toBe(false)

    const second = await startProcess(restored, { AIRLOCK_SECRET: masterKey })
    children.push(second.child)
    // The same signing keys: apps keep their AUTHROCKET_JWT_KEY and cached JWKS.
    expect(await (await fetch(`${second.url}/connect/jwks`)).json()).toEqual(await (await fetch(`${live}/connect/jwks`)).json())
    for (const email of before) {
      const token = await logIn(second.url, email)
      expect(claimsOf(token).email).toBe(email)
    }
    await stop(second.child)
  })

  describe('restore refuses, and leaves the folder without a database or a new key file', () => {
    /** A data folder path that doesn't exist yet. */
    const fresh = () => join(work, `target-${randomBytes(4).toString('hex')}`)
    const untouched = (folder: string) => expect(existsSync(folder) ? readdirSync(folder) : []).toEqual([])

    it('a folder that already has a database, which stays as it was', async () => {
      const folder = fresh()
      mkdirSync(folder)
      copyFileSync(backupFile, join(folder, 'airlock.db'))
      const hash = sha256(join(folder, 'airlock.db'))
      const run = await airlock(['restore', '--from', backupFile, '--data', folder], { AIRLOCK_SECRET: masterKey })
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`--data ${folder} already has a database`)
      expect(run.stderr).toContain('Stop the server, move that folder away')
      expect(sha256(join(folder, 'airlock.db'))).toBe(hash)
      expect(readdirSync(folder)).toEqual(['airlock.db'])
    })

    it('a file that is not an SQLite database', async () => {
      const notSqlite = join(work, 'notes.txt')
      writeFileSync(notSqlite, 'not a database\n'.repeat(100))
      const folder = fresh()
      const run = await airlock(['restore', '--from', notSqlite, '--data', folder], { AIRLOCK_SECRET: masterKey })
      expect(run.code).toBe(2)
      expect(run.stderr).toBe(`airlock: --from ${notSqlite} is not an SQLite database (nor an Airlock backup)\n`)
      untouched(folder)
    })

    it('an SQLite database that is not an Airlock one', async () => {
      const other = join(work, 'other.db')
      const database = new SQLite(other)
      database.exec('create table notes (id integer primary key, body text)')
      database.close()
      const folder = fresh()
      const run = await airlock(['restore', '--from', other, '--data', folder], { AIRLOCK_SECRET: masterKey })
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`--from ${other} is an SQLite database but not an Airlock one`)
      untouched(folder)
    })

    it('a damaged backup', async () => {
      const damaged = join(work, 'damaged.db')
      copyFileSync(backupFile, damaged)
      const bytes = readFileSync(damaged)
      const pageSize = bytes.readUInt16BE(16)
      // Every page after the schema's first one scribbled over: the tables' b-trees no longer parse.
      for (let at = pageSize; at < bytes.length; at += 97) bytes[at] = 0xa5
      writeFileSync(damaged, bytes)
      const folder = fresh()
      const run = await airlock(['restore', '--from', damaged, '--data', folder], { AIRLOCK_SECRET: masterKey })
      expect(run.code, run.stdout).toBe(2)
      expect(run.stderr).toContain(`--from ${damaged} is damaged: SQLite's integrity check says`)
      untouched(folder)
    })

    it('a backup from a newer version, naming both schema versions', async () => {
      const newer = join(work, 'newer.db')
      copyFileSync(backupFile, newer)
      const database = new SQLite(newer)
      database.prepare('insert into kysely_migration (name, timestamp) values (?, ?)').run('9999_from_the_future', new Date().toISOString())
      database.close()
      const folder = fresh()
      const run = await airlock(['restore', '--from', newer, '--data', folder], { AIRLOCK_SECRET: masterKey })
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`its schema is at migration 9999_from_the_future, and this build knows up to ${Object.keys(migrations).at(-1)}`)
      untouched(folder)
    })

    it('a wrong AIRLOCK_SECRET', async () => {
      const folder = fresh()
      const run = await airlock(['restore', '--from', backupFile, '--data', folder], { AIRLOCK_SECRET: secret() })
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`AIRLOCK_SECRET is not the secret the keys in ${backupFile} were sealed with`)
      untouched(folder)
    })

    it('a wrong secret.key placed in the folder, which stays as it was', async () => {
      const folder = fresh()
      mkdirSync(folder, { mode: 0o700 })
      writeFileSync(join(folder, 'secret.key'), `${secret()}\n`, { mode: 0o600 })
      const hash = sha256(join(folder, 'secret.key'))
      const run = await airlock(['restore', '--from', backupFile, '--data', folder], {})
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`The key file ${join(folder, 'secret.key')} is not the one the keys in ${backupFile} were sealed with`)
      expect(readdirSync(folder)).toEqual(['secret.key'])
      expect(sha256(join(folder, 'secret.key'))).toBe(hash)
    })

    it('no master key at all, and makes none (a new one could open nothing in the backup)', async () => {
      const folder = fresh()
      const run = await airlock(['restore', '--from', backupFile, '--data', folder], {})
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`AIRLOCK_SECRET is not set, and ${folder} has no secret.key: a restore needs the master key`)
      untouched(folder)
    })

    it('restores with the backed-up server\'s secret.key placed in the folder, and leaves that key as it was', async () => {
      const folder = fresh()
      mkdirSync(folder, { mode: 0o700 })
      writeFileSync(join(folder, 'secret.key'), `${masterKey}\n`, { mode: 0o600 })
      const run = await airlock(['restore', backupFile, '--data', folder], {})
      expect(run.code, run.stderr).toBe(0)
      expect(readdirSync(folder).sort()).toEqual(['airlock.db', 'secret.key'])
      expect(readFileSync(join(folder, 'secret.key'), 'utf8')).toBe(`${masterKey}\n`)
      const init = await airlock(['init', '--json', '--data', folder], {})
      expect(init.code, init.stderr).toBe(0)
    })
  })

  describe('backup refuses', () => {
    it('to overwrite an existing file, which stays as it was', async () => {
      const hash = sha256(backupFile)
      const run = await airlock(['backup', '--data', source, '--out', backupFile], {})
      expect(run.code).toBe(2)
      expect(run.stderr).toBe(`airlock: --out ${backupFile} already exists: airlock backup never overwrites a file. Choose another name, or move the old backup away\n`)
      expect(sha256(backupFile)).toBe(hash)
      expect(partialFiles(work)).toEqual([])
    })

    it('PostgreSQL, naming pg_dump and pg_restore', async () => {
      const out = join(work, 'pg.db')
      const run = await airlock(['backup', '--out', out], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' })
      expect(run.code).toBe(2)
      expect(run.stderr).toContain('pg_dump --format=custom --file airlock.dump "$DATABASE_URL"')
      expect(run.stderr).toContain('pg_restore --no-owner --dbname "$DATABASE_URL" airlock.dump')
      expect(existsSync(out)).toBe(false)
    })

    it('without --out, naming it; and restore without a file names --from', async () => {
      const backupRun = await airlock(['backup', '--data', source], {})
      expect(backupRun.code).toBe(2)
      expect(backupRun.stderr).toBe('airlock: --out is required: airlock backup --out FILE\n')
      const restoreRun = await airlock(['restore', '--data', join(work, 'never')], { AIRLOCK_SECRET: masterKey })
      expect(restoreRun.code).toBe(2)
      expect(restoreRun.stderr).toBe('airlock: --from is required: airlock restore --from FILE\n')
      expect(existsSync(join(work, 'never'))).toBe(false)
    })

    it('a data folder without a database, and creates none there', async () => {
      const empty = mkdtempSync(join(work, 'empty-'))
      const run = await airlock(['backup', '--data', empty, '--out', join(work, 'nothing.db')], {})
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`--data ${empty} has no database`)
      expect(readdirSync(empty)).toEqual([])
      expect(existsSync(join(work, 'nothing.db'))).toBe(false)
    })
  })
})

describe.runIf(DIALECTS.includes('postgres'))('PostgreSQL backups with the README\'s pg_dump and pg_restore commands', () => {
  let work = ''
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'airlock-pgdump-'))
  })
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  /** A README command, run by the shell exactly as written, with DATABASE_URL set. */
  function shell(command: string, databaseUrl: string): void {
    const run = spawnSync('sh', ['-c', command], { cwd: work, env: { ...process.env, DATABASE_URL: databaseUrl }, encoding: 'utf8' })
    expect(run.status, run.stderr).toBe(0)
  }

  it('a dump restored into an empty database serves the same users and keys with the same AIRLOCK_SECRET', { timeout: 60_000 }, async () => {
    const env = { AIRLOCK_SECRET: secret() }
    const source = await startServer({ dialect: 'postgres', settings: [`login_urls=${APP}`], env, trustProxy: true })
    const target = await freshPostgres()
    try {
      const person = await signUpIn(source, 'dumped@example.com')
      shell('pg_dump --format=custom --file airlock.dump "$DATABASE_URL"', source.databaseUrl!)
      shell('pg_restore --no-owner --dbname "$DATABASE_URL" airlock.dump', target.url)
      const restored = await startServer({ dialect: 'postgres', databaseUrl: target.url, env, trustProxy: true })
      try {
        expect(await (await fetch(`${restored.url}/connect/jwks`)).json()).toEqual(await (await fetch(`${source.url}/connect/jwks`)).json())
        const client = new Client(restored)
        await client.get(`/login?${back}`)
        const res = await client.post(`/login?${back}`, { email: person.email, password: PASSWORD })
        expect(res.status).toBe(303)
        expect(claimsOf(tokenFrom(res)).sub).toBe(person.userId)
      } finally {
        await restored.close()
      }
    } finally {
      await source.close()
      await target.drop()
    }
  })
})
