import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { Browser } from './support/browser.js'
import { DIALECTS, freshPostgres } from './support/dialects.js'
import { freePort } from './support/server.js'

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js')

describe.each(DIALECTS)('first-admin links of two processes on one %s database', (dialect) => {
  const children: ChildProcess[] = []
  let drop: (() => Promise<void>) | undefined
  afterAll(async () => {
    for (const child of children) child.kill()
    await drop?.()
  })

  /** `airlock start` as its own process; resolves with the setup link's token it printed. */
  async function startProcess(port: number, publicUrl: string, data: string, env: Record<string, string>): Promise<string> {
    const child = spawn(process.execPath, [bin, 'start', '--port', String(port), '--data', data, '--public-url', publicUrl], {
      env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'silent', AIRLOCK_HOST: '127.0.0.1', ...env },
    })
    children.push(child)
    let banner = ''
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (banner += text))
    for (let tries = 0; !banner.includes('one-time link') && tries < 400; tries++) await new Promise((r) => setTimeout(r, 50))
    return /First admin: \S+\/admin\/setup\?token=([\w-]+)/.exec(banner)![1]!
  }

  it("a second process starting doesn't void the first one's link; both work until one is used, then both are dead", async () => {
    const env: Record<string, string> = {}
    if (dialect === 'postgres') {
      const database = await freshPostgres()
      env.DATABASE_URL = database.url
      drop = database.drop
    }
    const data = mkdtempSync(join(tmpdir(), 'airlock-setup-'))
    const [portA, portB] = [await freePort(), await freePort()]
    const publicUrl = `http://127.0.0.1:${portA}`
    const first = await startProcess(portA, publicUrl, data, env)
    const second = await startProcess(portB, publicUrl, data, env)
    expect(second).not.toBe(first)

    const browser = new Browser(publicUrl)
    expect((await browser.get(`/admin/setup?token=${first}`)).status).toBe(200)
    expect((await browser.get(`/admin/setup?token=${second}`)).status).toBe(200)
    expect(browser.lastHtml).toContain('Create the first admin')

    const created = await browser.post('/admin/setup', { token: second, email: 'root@example.com', password: 'admin password 123', confirm: 'admin password 123' })
    expect(created.status).toBe(303)
    expect(created.headers.get('location')).toBe('/admin')

    const late = new Browser(publicUrl)
    for (const token of [first, second]) {
      expect((await late.get(`/admin/setup?token=${token}`)).status).toBe(410)
      expect(late.lastHtml).toContain('An admin exists, so setup links no longer work')
    }
  }, 60_000)
})
