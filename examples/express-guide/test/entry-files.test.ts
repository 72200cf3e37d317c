// app.js and app-direct.js: the guide's two ways to configure the middleware, and how the app starts.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startExample } from './support/airlock.js'
import { Browser, linkHref, location } from './support/browser.js'
import { loadApp, serve, type Served } from './support/in-process.js'
import { cleanEnv, exampleDir, removeDir, start, tempDir } from './support/processes.js'

/** The file without its first comment lines and its configuration block. */
function shared(file: string): string {
  const source = readFileSync(join(exampleDir, file), 'utf8')
  return source
    .replace(/^(\/\/.*\n)+/, '')
    .replace(/\/\/ --- configuration:[\s\S]*?\/\/ --- end of configuration ---\n/, '<configuration>\n')
}

const servers: Served[] = []
const dirs: string[] = []
afterAll(async () => {
  for (const server of servers) await server.close()
  for (const dir of dirs) removeDir(dir)
})

describe('app-direct.js', () => {
  it('is app.js with only the configuration block changed', () => {
    expect(shared('app-direct.js')).toBe(shared('app.js'))
    expect(readFileSync(join(exampleDir, 'app-direct.js'), 'utf8')).toContain("loginrocketUrl: 'http://localhost:4000'")
    expect(readFileSync(join(exampleDir, 'app.js'), 'utf8')).toContain('app.use(arMiddleware())')
  })

  it('needs no LOGINROCKET_URL: its links and redirects go to the LoginRocket URL in the code', async () => {
    const dir = tempDir('airlock-example-direct-')
    dirs.push(dir)
    const app = await serve(loadApp('app-direct.js', { LOGINROCKET_URL: undefined, AUTHROCKET_JWT_KEY: undefined, EXAMPLE_DATA: dir }))
    servers.push(app)
    const browser = new Browser()
    await browser.get(`${app.url}/`)
    const nonce = browser.cookies.get('arNonce')
    expect(linkHref(browser.html, 'Login')).toBe(`http://localhost:4000/login?nonce=${nonce}`)
    const protectedPage = await browser.get(`${app.url}/projects`)
    expect(location(protectedPage)).toBe(`http://localhost:4000/login?redirect_uri=${encodeURIComponent(`${app.url}/projects`)}&nonce=${nonce}`)
  })

  it('runs on its own with `node app-direct.js`', async () => {
    const app = await startExample({ script: 'app-direct.js' })
    try {
      const browser = new Browser()
      await browser.get(`${app.url}/`)
      expect(linkHref(browser.html, 'Signup')).toBe(`http://localhost:4000/signup?nonce=${browser.cookies.get('arNonce')}`)
    } finally {
      await app.close()
    }
  })
})

describe('app.js', () => {
  it('exports the app without listening when it is required', () => {
    const listening = () => process.getActiveResourcesInfo().filter((name) => name === 'TCPServerWrap').length
    const before = listening()
    const dir = tempDir('airlock-example-load-')
    dirs.push(dir)
    const app = loadApp('app.js', { LOGINROCKET_URL: 'http://127.0.0.1:9', EXAMPLE_DATA: dir })
    expect(typeof app).toBe('function')
    expect(typeof app.listen).toBe('function')
    expect(listening()).toBe(before)
  })

  it('listens on PORT when run directly, and says where', async () => {
    const app = await startExample({ loginrocketUrl: 'http://127.0.0.1:9' })
    try {
      expect(app.process.output).toContain(`Example app listening on http://localhost:${app.port}`)
    } finally {
      await app.close()
    }
    expect(app.process.child.exitCode).toBe(0)
  })

  it('refuses to start without LOGINROCKET_URL, naming the setting', async () => {
    const app = start(['app.js'], cleanEnv({ PORT: '0' }))
    const { code } = await app.exited
    expect(code).not.toBe(0)
    expect(app.output).toContain('LOGINROCKET_URL')
  })
})
