import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshPostgres } from './support/dialects.js'
import { freePort } from './support/server.js'

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js')
const PUBLIC = 'login.example.test'

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** One request to one process, addressed (Host) to the public name both processes serve, as a load balancer would. */
function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: PUBLIC, ...headers } }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

function cookiesFrom(answer: Answer, jar: Map<string, string>): void {
  for (const line of (answer.headers['set-cookie'] as string[] | undefined) ?? []) {
    const [pair] = line.split(';')
    const [name, value] = pair!.split('=')
    if (value) jar.set(name!, value)
    else jar.delete(name!)
  }
}

const cookieHeader = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')

describe('two airlock start processes on one PostgreSQL database', () => {
  let children: ChildProcess[] = []
  let ports: number[] = []
  let banners: string[] = []
  let env: NodeJS.ProcessEnv
  let drop: () => Promise<void>
  const data = mkdtempSync(join(tmpdir(), 'airlock-multi-'))

  beforeAll(async () => {
    const database = await freshPostgres()
    drop = database.drop
    env = { ...process.env, DATABASE_URL: database.url, AIRLOCK_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'silent', AIRLOCK_HOST: '127.0.0.1' }
    ports = [await freePort(), await freePort()]
    banners = ['', '']
    // Both start at once: migrations and the default realm must come out right from the race.
    children = ports.map((port, i) => {
      const child = spawn(process.execPath, [bin, 'start', '--port', String(port), '--data', data, '--public-url', `http://${PUBLIC}`], { env })
      child.stdout!.setEncoding('utf8').on('data', (text: string) => (banners[i] += text))
      return child
    })
    for (let i = 0; i < 2; i++) {
      for (let tries = 0; !banners[i]!.includes('AUTHROCKET_JWT_KEY') && tries < 200; tries++) await new Promise((r) => setTimeout(r, 50))
    }
    spawnSync(process.execPath, [bin, 'realm', 'settings', '--data', data, 'login_urls=http://app.example.test'], { env })
  })
  afterAll(async () => {
    for (const child of children) child.kill()
    await drop()
  })

  it('serve one realm with one key set', async () => {
    const realmIds = banners.map((b) => /Realm "Demo" \((rl_\w+)\)/.exec(b)?.[1])
    expect(realmIds[0]).toBeDefined()
    expect(realmIds[0]).toBe(realmIds[1])
    const [a, b] = await Promise.all(ports.map((port) => send(port, 'GET', '/connect/jwks')))
    expect(a!.body).toBe(b!.body)
    expect(JSON.parse(a!.body).keys).toHaveLength(1)
  })

  it('share forms, sessions and logouts: a form from one process posts to the other, and a logout on one ends renewal on both', async () => {
    const [one, two] = ports as [number, number]
    const jar = new Map<string, string>()
    const page = await send(one, 'GET', '/signup')
    cookiesFrom(page, jar)
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!
    const form = new URLSearchParams({ csrf, email: 'multi@example.com', password: 'correct horse battery', redirect_uri: 'http://app.example.test/' })
    const signedUp = await send(two, 'POST', '/signup', { cookie: cookieHeader(jar), 'content-type': 'application/x-www-form-urlencoded' }, form.toString())
    expect(signedUp.status).toBe(303)
    cookiesFrom(signedUp, jar)
    const token = new URL(signedUp.headers.location as string).searchParams.get('token')!

    const renewOn = (port: number) => send(port, 'POST', '/connect/renew', { authorization: `Bearer ${token}` })
    expect((await renewOn(one)).status).toBe(200)
    expect((await renewOn(two)).status).toBe(200)

    const sso = await send(one, 'GET', `/login?redirect_uri=${encodeURIComponent('http://app.example.test/x')}`, { cookie: cookieHeader(jar) })
    expect(sso.status).toBe(303)

    const sid = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid
    await send(one, 'GET', `/logout?session=${sid}`, { cookie: cookieHeader(jar) })
    expect((await renewOn(two)).status).toBe(401)
    expect((await renewOn(one)).status).toBe(401)
  })
})
