import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { secretBox } from '../src/crypto/secret-box.js'
import { Browser, tokenFrom } from './support/browser.js'
import { DIALECTS } from './support/dialects.js'
import { startServer, type TestServer } from './support/server.js'

const APP = 'http://localhost:3000'
const PASSWORD = 'correct horse battery staple'

describe.each(DIALECTS)('logs and secrets at rest on %s', (dialect) => {
  let server: TestServer
  const lines: string[] = []

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean))
        done()
      },
    })
    server = await startServer({ dialect, settings: [`login_urls=${APP}`], logger: pino({ level: 'info' }, sink) })
  })
  afterAll(() => server.close())

  it('logs one structured line per request, without tokens, passwords or query strings', async () => {
    const browser = new Browser(server.url)
    await browser.get(`/signup?redirect_uri=${encodeURIComponent(APP)}`)
    const res = await browser.post(`/signup?redirect_uri=${encodeURIComponent(APP)}`, { email: 'logs@example.com', password: PASSWORD })
    const token = tokenFrom(res)
    await fetch(`${server.url}/connect/renew`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })

    const requests = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request')
    expect(requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['GET /signup 200', 'POST /signup 303', 'POST /connect/renew 200'])
    for (const entry of requests) expect(entry).toMatchObject({ level: 30, realm: server.booted.realm.id, ms: expect.any(Number) })
    expect(JSON.stringify(requests)).not.toContain('?')
    // The outbox prints mail links on purpose (a first run has no mail server); nothing else secret is logged.
    const all = lines.join('\n')
    for (const secret of [PASSWORD, token, token.split('.')[2]!, browser.cookies.get('lr_session')!]) {
      expect(all).not.toContain(secret)
    }
  })

  it('stores private signing keys sealed with the master key, never in the clear', async () => {
    const rows = await server.booted.services.db.kysely.selectFrom('signing_keys').select(['secret_sealed', 'public_key']).execute()
    expect(rows.length).toBeGreaterThan(0)
    for (const row of rows) {
      expect(row.secret_sealed).toMatch(/^v1\./)
      expect(row.secret_sealed).not.toContain('PRIVATE KEY')
      expect(() => secretBox('another master key entirely, 32+ chars').open(row.secret_sealed)).toThrow(/AIRLOCK_SECRET .* is not the one it was sealed with/)
    }
  })
})
