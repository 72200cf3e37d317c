import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser } from './support/browser.js'
import { startServer, type TestServer } from './support/server.js'

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

describe('login timing', () => {
  let server: TestServer

  beforeAll(async () => {
    server = await startServer({ dialect: 'sqlite' })
    const browser = new Browser(server.url)
    await browser.get('/signup')
    await browser.post('/signup', { email: 'owner@example.com', password: 'correct horse battery' })
  })
  afterAll(() => server.close())

  async function attempt(email: string): Promise<number> {
    const browser = new Browser(server.url)
    await browser.get('/login')
    const started = performance.now()
    const res = await browser.post('/login', { email, password: 'not the password' })
    const took = performance.now() - started
    expect(res.status).toBe(401)
    return took
  }

  it('takes as long for an unknown email as for a wrong password (a dummy hash is checked)', async () => {
    const known: number[] = []
    const unknown: number[] = []
    for (let i = 0; i < 8; i++) {
      known.push(await attempt('owner@example.com'))
      unknown.push(await attempt(`nobody${i}@example.com`))
    }
    // Without the dummy hash an unknown email answers in about a millisecond, against tens for argon2id.
    const ratio = median(unknown) / median(known)
    expect(ratio).toBeGreaterThan(0.6)
    expect(ratio).toBeLessThan(1.6)
  })
})
