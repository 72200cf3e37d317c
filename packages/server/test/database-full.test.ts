import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser } from './support/browser.js'
import { DIALECTS } from './support/dialects.js'
import { startServer, type TestServer } from './support/server.js'

const APP = 'http://localhost:3000'
const PASSWORD = 'correct horse battery'

/** Issue 12, item 4: a full disk gave 500s while /healthz said 200. */

function expectUnavailable(res: Response, what: string) {
  expect(res.status, what).toBe(503)
  expect(res.headers.get('retry-after'), what).toMatch(/^\d+$/)
  expect(res.headers.get('location'), what).toBeNull()
  expect(res.headers.getSetCookie().some((line) => line.startsWith('lr_session=')), what).toBe(false)
}

async function signup(server: TestServer, email: string): Promise<Response> {
  const browser = new Browser(server.url)
  expect((await browser.get('/signup')).status).toBe(200)
  return browser.post(`/signup?redirect_uri=${encodeURIComponent(APP)}`, { email, password: PASSWORD })
}

/**
 * Nothing half-written: the signup's user is either not there, or there whole, with its `user.created` event (the
 * signup's transaction committed; the session that follows it is what met the full disk).
 */
function wholeOrAbsent(database: import('better-sqlite3').Database, email: string): boolean {
  const id = database.prepare('select id from users where email = ?').pluck().get(email) as string | undefined
  if (id === undefined) return true
  return database.prepare("select count(*) from events where user_id = ? and event_type = 'user.created'").pluck().get(id) === 1
}

/** Signs up one address after another until three are refused: each refusal a clean 503, with nothing half-written. */
async function signUpUntilRefused(server: TestServer, database: import('better-sqlite3').Database, most: number, emailOf: (i: number) => string) {
  let refused = 0
  for (let i = 0; i < most && refused < 3; i++) {
    const email = emailOf(i)
    const res = await signup(server, email)
    expect([303, 503], `signup ${i}`).toContain(res.status)
    if (res.status === 303) continue
    refused++
    expectUnavailable(res, `signup ${i}`)
    expect(await res.text()).not.toMatch(/eyJ[\w-]+\.[\w-]+\./)
    expect(wholeOrAbsent(database, email), 'no half-written user').toBe(true)
  }
  expect(refused).toBeGreaterThan(0)
}

const health = async (server: TestServer) => (await fetch(`${server.url}/healthz`)).status

describe('a full SQLite database', () => {
  let server: TestServer

  beforeAll(async () => {
    server = await startServer({ dialect: 'sqlite', settings: [`login_urls=${APP}`] })
  })
  afterAll(() => server.close())

  it('answers 503 to signups (no token, no half-written user) and on /healthz, and resumes once there is room', async () => {
    const { database } = server.booted.services.db.raw as { database: import('better-sqlite3').Database }
    // SQLite's own size cap, at the size the file has now: every page it needs next fails with SQLITE_FULL,
    // as a full disk would fail it.
    const pages = database.pragma('page_count', { simple: true }) as number
    database.pragma(`max_page_count = ${pages}`)
    try {
      await signUpUntilRefused(server, database, 40, (i) => `full${i}@example.com`)
      expect(await health(server)).toBe(503)
    } finally {
      database.pragma('max_page_count = 4294967294')
    }
    expect(await health(server)).toBe(200)
    const again = await signup(server, 'roomagain@example.com')
    expect(again.status).toBe(303)
    expect(new URL(again.headers.get('location')!).searchParams.get('token')).toMatch(/^eyJ/)
  })
})

describe.runIf(DIALECTS.includes('postgres'))('a PostgreSQL database whose disk is full', () => {
  let server: TestServer
  let client: pg.Client

  beforeAll(async () => {
    server = await startServer({ dialect: 'postgres', settings: [`login_urls=${APP}`] })
    client = new pg.Client({ connectionString: server.databaseUrl })
    await client.connect()
    // A real PostgreSQL error with the disk-full SQLSTATE, raised where a full disk would: writing rows.
    await client.query(`create function airlock_test_disk_full() returns trigger language plpgsql as $$
      begin raise exception 'could not extend file: No space left on device' using errcode = 'disk_full'; end $$`)
  })
  afterAll(async () => {
    await client.end()
    await server.close()
  })

  it('answers 503 to signups (no token, no user) and on /healthz, and resumes once there is room', async () => {
    for (const table of ['users', 'rate_limits']) {
      await client.query(`create trigger disk_full before insert on ${table} for each row execute function airlock_test_disk_full()`)
    }
    try {
      const res = await signup(server, 'pgfull@example.com')
      expectUnavailable(res, 'signup')
      expect(await res.text()).not.toMatch(/eyJ[\w-]+\.[\w-]+\./)
      expect((await client.query(`select 1 from users where email = 'pgfull@example.com'`)).rowCount).toBe(0)
      expect(await health(server)).toBe(503)
    } finally {
      for (const table of ['users', 'rate_limits']) await client.query(`drop trigger disk_full on ${table}`)
    }
    expect(await health(server)).toBe(200)
    const again = await signup(server, 'pgfull@example.com')
    expect(again.status).toBe(303)
    expect(new URL(again.headers.get('location')!).searchParams.get('token')).toMatch(/^eyJ/)
  })
})

/** A tiny tmpfs can be mounted only as root (as CI runs); elsewhere the SQLite size cap above stands in for it. */
function canMount(): boolean {
  if (process.getuid?.() !== 0) return false
  const dir = mkdtempSync(join(tmpdir(), 'airlock-mount-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' })
    execFileSync('umount', [dir])
    return true
  } catch {
    return false
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe.runIf(canMount())('a SQLite data folder on a full disk (a tiny tmpfs)', () => {
  let server: TestServer
  let dataDir: string

  beforeAll(async () => {
    server = await startServer({
      dialect: 'sqlite',
      settings: [`login_urls=${APP}`],
      beforeOpen: (dir) => {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir])
        dataDir = dir
      },
    })
  })
  afterAll(async () => {
    execFileSync('mount', ['-o', 'remount,size=64m', dataDir])
    await server.close().catch(() => {})
    execFileSync('umount', ['-l', dataDir])
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('answers 503 to signups once the disk is full (no token, no half-written user), and resumes once there is room', async () => {
    const { database } = server.booted.services.db.raw as { database: import('better-sqlite3').Database }
    // Long names fill the disk sooner.
    await signUpUntilRefused(server, database, 400, (i) => `disk${i}-${'x'.repeat(200)}@example.com`)
    execFileSync('mount', ['-o', 'remount,size=64m', dataDir])
    const again = await signup(server, 'diskroom@example.com')
    expect(again.status).toBe(303)
    expect(new URL(again.headers.get('location')!).searchParams.get('token')).toMatch(/^eyJ/)
    expect(await health(server)).toBe(200)
  })
})
