import { Hono } from 'hono'
import pg from 'pg'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppEnv } from '../src/http/env.js'
import { errorHandler, isDatabaseDown, isUnstorableText } from '../src/http/errors.js'
import { Browser } from './support/browser.js'
import { DIALECTS, PG_ADMIN_URL } from './support/dialects.js'
import { startServer, type TestServer } from './support/server.js'

const APP = 'http://localhost:3000'
const PASSWORD = 'correct horse battery'

describe('errors: which database failures mean "unavailable"', () => {
  it('recognises a lost or refused connection', () => {
    for (const error of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
      Object.assign(new Error('sorry, too many clients already'), { code: '53300' }),
      Object.assign(new Error('database "x" is not currently accepting connections'), { code: '55000' }),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Client has encountered a connection error and is not queryable'),
      Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }),
      Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY_SNAPSHOT' }),
      Object.assign(new Error('database table is locked'), { code: 'SQLITE_LOCKED' }),
      // A full disk or database, failing I/O: the database can't write (issue 12, item 4).
      Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }),
      Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' }),
      Object.assign(new Error('could not extend file: No space left on device'), { code: '53100' }),
      Object.assign(new Error('out of memory'), { code: '53200' }),
    ]) {
      expect(isDatabaseDown(error), error.message).toBe(true)
    }
  })

  it('does not mistake a bad query, or other 55000 errors, for an outage', () => {
    expect(isDatabaseDown(Object.assign(new Error('syntax error'), { code: '42601' }))).toBe(false)
    expect(isDatabaseDown(Object.assign(new Error('UNIQUE constraint failed: users.email'), { code: 'SQLITE_CONSTRAINT_UNIQUE' }))).toBe(false)
    expect(isDatabaseDown(Object.assign(new Error('cannot refresh materialized view concurrently'), { code: '55000' }))).toBe(false)
    expect(isDatabaseDown(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false)
  })

  it('maps text PostgreSQL cannot hold (a NUL byte) to a 400, not a 500', async () => {
    expect(isUnstorableText(Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }))).toBe(true)
    const app = new Hono<AppEnv>()
    app.get('/x', () => {
      throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' })
    })
    app.onError(errorHandler(pino({ level: 'silent' })))
    const res = await app.request('/x')
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('characters that are not allowed')
  })
})

describe.runIf(DIALECTS.includes('postgres'))('a PostgreSQL database that stops answering', () => {
  let server: TestServer
  let admin: pg.Client
  let database: string

  beforeAll(async () => {
    server = await startServer({ dialect: 'postgres', settings: [`login_urls=${APP}`] })
    database = new URL(server.databaseUrl!).pathname.slice(1)
    admin = new pg.Client({ connectionString: PG_ADMIN_URL })
    await admin.connect()
    const browser = new Browser(server.url)
    await browser.get('/signup')
    expect((await browser.post('/signup', { email: 'outage@example.com', password: PASSWORD })).status).toBe(303)
  })
  afterAll(async () => {
    await admin.query(`alter database ${database} allow_connections true`).catch(() => {})
    await admin.end()
    await server.close()
  })

  /** Ends every connection the server holds to its database. */
  const terminate = () =>
    admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database])

  const health = async () => (await fetch(`${server.url}/healthz`)).status

  /** A login as a browser sends it: the form page first (while the database answers), then the post. */
  async function loginForm() {
    const browser = new Browser(server.url)
    expect((await browser.get('/login')).status).toBe(200)
    return () => browser.post(`/login?redirect_uri=${encodeURIComponent(APP)}`, { email: 'outage@example.com', password: PASSWORD })
  }

  function expectUnavailable(res: Response, what: string) {
    expect(res.status, what).toBe(503)
    expect(res.headers.get('retry-after'), what).toMatch(/^\d+$/)
    expect(res.headers.get('location'), what).toBeNull()
    expect(res.headers.getSetCookie().some((line) => line.startsWith('lr_session=')), what).toBe(false)
  }

  it('answers 503 (no token, no session) while connections are refused, and resumes by itself', async () => {
    const send = await loginForm()
    await admin.query(`alter database ${database} allow_connections false`)
    try {
      await terminate()
      expect(await health()).toBe(503)
      const login = await send()
      expectUnavailable(login, 'POST /login')
      const html = await login.text()
      expect(html).toContain('Logins are unavailable for a moment')
      expect(html).not.toMatch(/eyJ[\w-]+\.[\w-]+\./)
      expectUnavailable(await fetch(`${server.url}/login?redirect_uri=${encodeURIComponent(APP)}`), 'GET /login')
      const renew = await fetch(`${server.url}/connect/renew`, { method: 'POST', headers: { authorization: 'Bearer a.b.c' } })
      expectUnavailable(renew, 'renew')
      expect(await renew.json()).toMatchObject({ error: 'database_unavailable' })
    } finally {
      await admin.query(`alter database ${database} allow_connections true`)
    }
    expect(await health()).toBe(200)
    const again = await (await loginForm())()
    expect(again.status).toBe(303)
    expect(new URL(again.headers.get('location')!).searchParams.get('token')).toMatch(/^eyJ/)
  })

  it('connections killed under it: at worst a 503, never a 500, and the next requests succeed', async () => {
    for (let round = 0; round < 3; round++) {
      const send = await loginForm()
      await terminate()
      const statuses: number[] = []
      for (let i = 0; i < 5; i++) {
        const res = await send()
        statuses.push(res.status)
        if (res.status === 503) expectUnavailable(res, `round ${round}`)
        if (res.status === 303) break
      }
      expect(statuses.every((s) => s === 303 || s === 503), String(statuses)).toBe(true)
      expect(statuses.at(-1)).toBe(303)
    }
    expect(await health()).toBe(200)
  })
})
