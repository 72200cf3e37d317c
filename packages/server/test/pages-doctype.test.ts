// Every HTML answer starts with the doctype (issue 14): without it browsers render in quirks mode. One SQLite
// server is enough: the page renderer is the same on every database.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP, back } from './support/accounts.js'
import { Client } from './support/client.js'
import { startServer, type TestServer } from './support/server.js'

const ADMIN = 'doctype-admin@example.com'
const PASSWORD = 'admin password 123'

describe('every kind of HTML answer starts with <!doctype html>', () => {
  let server: TestServer
  let realmId: string

  beforeAll(async () => {
    server = await startServer({ dialect: 'sqlite', trustProxy: true, settings: [`login_urls=${APP}`] })
    const { services } = server.booted
    expect((await services.admins.create(ADMIN, PASSWORD, PASSWORD, services.clock())).ok).toBe(true)
    realmId = (await services.realms.list())[0]!.id
  })
  afterAll(() => server.close())

  /** The answer's status and the start of its body, after checking it is HTML. */
  async function expectDoctype(res: Response, status: number, what: string) {
    expect(res.status, what).toBe(status)
    expect(res.headers.get('content-type'), what).toContain('text/html')
    expect((await res.text()).slice(0, 40), what).toMatch(/^<!doctype html><html lang="en"><head>/)
  }

  it('hosted pages, their form errors and their error pages', async () => {
    const client = new Client(server)
    for (const path of ['/', '/login', `/signup?${back}`, '/forgot']) await expectDoctype(await client.get(path), 200, path)
    await client.get('/login')
    await expectDoctype(await client.post('/login', { email: 'nobody@example.com', password: 'wrong password!' }), 401, 'a failed login')
    await expectDoctype(await client.get('/no-such-page'), 404, 'not found')
    await expectDoctype(await client.post('/login', { email: 'a@example.com', password: 'x', csrf: 'forged' }), 403, 'a forged form')
    await expectDoctype(await client.post('/login', { email: 'a@example.com', password: 'x'.repeat(70 * 1024) }), 413, 'a form too large')
    // Forgot-password forms are limited to 5 per target email per hour.
    const forgot = () => client.submit('/forgot', { email: 'limited@example.com' })
    for (let i = 0; i < 5; i++) expect((await forgot()).status).toBeLessThan(400)
    await expectDoctype(await forgot(), 429, 'too many attempts')
  })

  it('admin pages, signed out and in', async () => {
    const client = new Client(server)
    await expectDoctype(await client.get('/admin/login'), 200, 'admin login')
    await expectDoctype(await client.get('/admin/setup?token=nope'), 410, 'setup once an admin exists')
    await expectDoctype(await client.post('/admin/login', { email: ADMIN, password: 'wrong password!' }), 401, 'a failed admin login')
    expect((await client.post('/admin/login', { email: ADMIN, password: PASSWORD })).status).toBe(303)
    for (const path of ['/admin', '/admin/realms', '/admin/events', `/admin/realms/${realmId}/users`, `/admin/realms/${realmId}/settings`]) {
      await expectDoctype(await client.get(path), 200, path)
    }
  })

  it('the 500 and 503 pages', async () => {
    const { services } = server.booted
    const clock = services.clock
    try {
      // A reset link is checked against the clock first: what that throws is what the error handler answers.
      services.clock = () => {
        throw new Error('a bug')
      }
      await expectDoctype(await new Client(server).get('/reset?token=x'), 500, 'an unexpected error')
      services.clock = () => {
        throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
      }
      await expectDoctype(await new Client(server).get('/reset?token=x'), 503, 'the database unavailable')
    } finally {
      services.clock = clock
    }
  })
})

describe('the page renderer', () => {
  const src = join(import.meta.dirname, '..', 'src')

  it('is the only code that answers HTML: nothing else calls c.html, which would leave out the doctype', () => {
    const callers = readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((path) => /\.tsx?$/.test(path))
      .filter((path) => /\.html\(/.test(readFileSync(join(src, path), 'utf8')))
    expect(callers).toEqual(['views/render.ts'])
  })
})
