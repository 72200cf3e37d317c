import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Script } from 'node:vm'
import express from 'express'
import pug from 'pug'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arMiddleware, cookieParser } from '../src/index.js'
import { FakeLoginRocket } from './support/fake-loginrocket.js'
import { get, serve } from './support/http.js'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8')

function blocks(language: string): string[] {
  return [...readme.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!)
}

function testedBlock(name: string): string {
  const match = new RegExp(`<!-- tested: ${name} -->\\n\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(readme)
  if (!match) throw new Error(`README has no block marked "tested: ${name}"`)
  return match[1]!
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

async function until<T>(probe: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await probe()
    } catch (error) {
      if (i > 100) throw error
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}

describe('the README', () => {
  let lr: FakeLoginRocket
  beforeAll(async () => {
    lr = await FakeLoginRocket.start()
  })
  afterAll(() => lr.close())

  it('its app.js runs as written against LoginRocket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-readme-'))
    mkdirSync(join(dir, 'node_modules', '@airlock'), { recursive: true })
    symlinkSync(packageDir, join(dir, 'node_modules', '@airlock', 'express'))
    const expressDir = dirname(createRequire(import.meta.url).resolve('express/package.json'))
    symlinkSync(expressDir, join(dir, 'node_modules', 'express'))
    writeFileSync(join(dir, 'app.js'), testedBlock('app.js'))
    const port = await freePort()
    const child = spawn(process.execPath, ['app.js'], {
      cwd: dir,
      env: { ...process.env, LOGINROCKET_URL: lr.url, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    try {
      const base = `http://127.0.0.1:${port}`
      const anonymous = await until(() => get(`${base}/`))
      expect(await anonymous.text()).toBe('Hello, stranger')
      const cookie = { cookie: `arToken=${await lr.sign()}` }
      expect(await (await get(`${base}/`, cookie)).text()).toBe('Hi, Dave!')
      expect(await (await get(`${base}/account`, cookie)).json()).toEqual({ user: 'usr_1', org: 'Widgets, Inc.' })
      const login = await get(`${base}/account`)
      expect(login.status).toBe(302)
      const nonce = new URL(login.headers.get('location')!).searchParams.get('nonce')
      expect(login.headers.get('location')).toBe(`${lr.url}/login?redirect_uri=${encodeURIComponent(`${base}/account`)}&nonce=${nonce}`)
      expect((await get(`${base}/logout`, cookie)).headers.get('location')).toBe(`${lr.url}/logout?redirect_uri=${encodeURIComponent(`${base}/`)}&session=kss_1`)
      expect(stderr).toBe('')
    } finally {
      child.kill()
    }
  })

  it('every JavaScript snippet is valid syntax', () => {
    const snippets = blocks('js')
    expect(snippets.length).toBeGreaterThan(5)
    for (const code of snippets) expect(() => new Script(`(async () => {\n${code}\n})`), code).not.toThrow()
  })

  it('its pug nav renders the right links for visitors and users', async () => {
    const [nav] = blocks('pug')
    const app = express()
    app.use(cookieParser())
    app.use(arMiddleware({ authrocket: { loginrocketUrl: lr.url } }))
    const render = pug.compile(nav!)
    app.get('/page', (_req, res) => {
      res.send(render(res.locals))
    })
    const server = await serve(app)
    try {
      const nonce = 'n'.repeat(43)
      const visitor = await (await get(`${server.url}/page`, { cookie: `arNonce=${nonce}` })).text()
      expect(visitor).toBe(`<nav><a href="${lr.url}/signup?nonce=${nonce}">Signup</a><a href="${lr.url}/login?nonce=${nonce}">Login</a></nav>`)
      const user = await (await get(`${server.url}/page`, { cookie: `arToken=${await lr.sign()}; arNonce=${nonce}` })).text()
      const profile = `${lr.url}/profile?redirect_uri=${encodeURIComponent(`${server.url}/page`)}&amp;nonce=${nonce}`
      expect(user).toBe(`<nav><span>Hi, Dave!</span><a href="${profile}">Manage Profile</a><a href="/logout">Logout</a></nav>`)
    } finally {
      await server.close()
    }
  })
})
