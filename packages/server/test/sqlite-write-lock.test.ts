import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSY_PATIENCE_MS } from '../src/db/sqlite-dialect.js'
import { Browser } from './support/browser.js'
import { startServer, type TestServer } from './support/server.js'

const APP = 'http://localhost:3000'
const PASSWORD = 'correct horse battery'

/**
 * Issue 12, item 3: another process holding SQLite's write lock (a backup, the `sqlite3` shell) froze the whole
 * server, as better-sqlite3 waited busy_timeout (5 s) per statement on the event loop.
 */
describe('an external SQLite write lock', () => {
  let server: TestServer
  let locker: SQLite.Database

  beforeAll(async () => {
    server = await startServer({ dialect: 'sqlite', settings: [`login_urls=${APP}`] })
    const browser = new Browser(server.url)
    await browser.get('/signup')
    expect((await browser.post('/signup', { email: 'locked@example.com', password: PASSWORD })).status).toBe(303)
    // Another connection to the server's database file, as another process would open it.
    locker = new SQLite(join(server.dataDir, 'airlock.db'))
  })
  afterAll(async () => {
    if (locker.inTransaction) locker.prepare('rollback').run()
    locker.close()
    await server.close()
  })

  /** A login as a browser sends it: the form page first (before the lock), then the post. */
  async function loginForm() {
    const browser = new Browser(server.url)
    expect((await browser.get('/login')).status).toBe(200)
    return () => browser.post(`/login?redirect_uri=${encodeURIComponent(APP)}`, { email: 'locked@example.com', password: PASSWORD })
  }

  async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const start = performance.now()
    const value = await run()
    return { value, ms: performance.now() - start }
  }

  const health = () => timed(async () => (await fetch(`${server.url}/healthz`)).status)

  it('keeps the server answering: /healthz at once (503: it cannot write), logins 503 with Retry-After within 2 s, then all resumes', async () => {
    const sends = await Promise.all([loginForm(), loginForm(), loginForm(), loginForm(), loginForm()])
    locker.prepare('begin immediate').run()
    locker.prepare(`insert into rate_limits (key, points, expire) values ('external', 1, 0)`).run()
    try {
      // /healthz tries a write: the lock is another process's, so the database can't take one now.
      const alone = await health()
      expect(alone.value).toBe(503)
      expect(alone.ms).toBeLessThan(200)

      // Logins wait for the lock between statements without blocking the event loop: /healthz still answers
      // at once while they wait, and each gives up with a 503 once the lock has outlasted our patience.
      const logins = sends.map((send) => timed(send))
      await new Promise((resolve) => setTimeout(resolve, 300))
      const during = await health()
      expect(during.value).toBe(503)
      expect(during.ms).toBeLessThan(200)
      for (const { value: res, ms } of await Promise.all(logins)) {
        expect(res.status).toBe(503)
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
        expect(res.headers.get('location')).toBeNull()
        expect(res.headers.getSetCookie().some((line) => line.startsWith('lr_session='))).toBe(false)
        const html = await res.text()
        expect(html).toContain('Logins are unavailable for a moment')
        expect(html).not.toMatch(/eyJ[\w-]+\.[\w-]+\./)
        expect(ms).toBeLessThan(BUSY_PATIENCE_MS + 1_000)
      }

      // Once the lock has lasted past our patience, a new request fails at once rather than waiting again.
      const late = await timed(async () => (await loginForm())())
      expect(late.value.status).toBe(503)
      expect(late.ms).toBeLessThan(1_000)
    } finally {
      locker.prepare('rollback').run()
    }
    expect((await health()).value).toBe(200)
    const again = await (await loginForm())()
    expect(again.status).toBe(303)
    expect(new URL(again.headers.get('location')!).searchParams.get('token')).toMatch(/^eyJ/)
  })

  it('a lock held for less than our patience is waited for: the login succeeds', async () => {
    const send = await loginForm()
    locker.prepare('begin immediate').run()
    setTimeout(() => locker.prepare('rollback').run(), 300)
    const { value: res, ms } = await timed(send)
    expect(res.status).toBe(303)
    expect(new URL(res.headers.get('location')!).searchParams.get('token')).toMatch(/^eyJ/)
    expect(ms).toBeGreaterThanOrEqual(250)
  })
})
