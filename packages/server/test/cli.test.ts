import { spawnSync } from 'node:child_process'
import { mkdtempSync, statSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runCli, type Running } from '../src/cli/run.js'
import { cli, useCliData } from './support/cli.js'
import { DIALECTS } from './support/dialects.js'
import { freePort } from './support/server.js'

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js')

/** A GET with a Host header of our choosing (fetch would overwrite it). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe.each(DIALECTS)('the airlock CLI on %s', (dialect) => {
  const place = useCliData(dialect, 'airlock-cli-')

  it('init --json creates the realm and its key once, and prints the same realm every time', async () => {
    const first = JSON.parse(await cli(['init', '--json', '--data', place.data], place.env))
    expect(Object.keys(first)).toEqual(['realm_id', 'loginrocket_url', 'jwt_key', 'admin_setup_url'])
    expect(first.realm_id).toMatch(/^rl_/)
    expect(first.loginrocket_url).toBe('http://localhost:4000')
    expect(first.jwt_key).toMatch(/^MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA/)
    // No admin yet: a one-time link to create the first one.
    expect(first.admin_setup_url).toMatch(/^http:\/\/localhost:4000\/admin\/setup\?token=[\w-]{43}$/)
    const second = JSON.parse(await cli(['init', '--json', '--data', place.data, '--public-url', 'https://login.example.com'], place.env))
    expect(second).toMatchObject({ realm_id: first.realm_id, jwt_key: first.jwt_key, loginrocket_url: 'https://login.example.com' })
  })

  it('keeps the master key in a file only its owner can read', () => {
    expect(statSync(join(place.data, 'secret.key')).mode & 0o777).toBe(0o600)
  })

  it('realm settings sets values and prints them all; a bad key or value changes nothing', async () => {
    const set = JSON.parse(await cli(['realm', 'settings', '--data', place.data, 'login_urls=http://localhost:3000, https://app.example.com/x', 'jwt_minutes=15', 'name=Acme'], place.env))
    expect(set).toMatchObject({ name: 'Acme', jwt_minutes: 15, login_urls: ['http://localhost:3000/', 'https://app.example.com/x'] })
    await expect(cli(['realm', 'settings', '--data', place.data, 'name=Changed', 'colour=#fff'], place.env)).rejects.toThrow(/unknown setting colour; known settings: name, signup/)
    await expect(cli(['realm', 'settings', '--data', place.data, 'name=Changed', 'signup=maybe'], place.env)).rejects.toThrow(/^signup: /)
    await expect(cli(['realm', 'settings', '--data', place.data, 'jwt_minutes=0'], place.env)).rejects.toThrow(/^jwt_minutes: /)
    for (const bad of ['0', '43201', 'soon', '-5']) {
      await expect(cli(['realm', 'settings', '--data', place.data, `renew_grace_minutes=${bad}`], place.env)).rejects.toThrow(/^renew_grace_minutes: /)
    }
    await expect(cli(['realm', 'settings', '--data', place.data, 'login_urls=ftp://x'], place.env)).rejects.toThrow(/login_urls: "ftp:\/\/x" must be http or https/)
    const now = JSON.parse(await cli(['realm', 'settings', '--data', place.data], place.env))
    expect(now.name).toBe('Acme')
    expect(now.signup).toBe('open')
    // The renewal grace: shown (null: the token lifetime), set in range, and back to the default when empty.
    expect(now.renew_grace_minutes).toBeNull()
    expect(JSON.parse(await cli(['realm', 'settings', '--data', place.data, 'renew_grace_minutes=43200'], place.env)).renew_grace_minutes).toBe(43200)
    expect(JSON.parse(await cli(['realm', 'settings', '--data', place.data, 'renew_grace_minutes=1'], place.env)).renew_grace_minutes).toBe(1)
    expect(JSON.parse(await cli(['realm', 'settings', '--data', place.data, 'renew_grace_minutes='], place.env)).renew_grace_minutes).toBeNull()
  })

  it('keys rotate publishes a new key that signs later', async () => {
    const out = JSON.parse(await cli(['keys', 'rotate', '--data', place.data], place.env))
    expect(out.kid).toMatch(/^key_/)
    expect(new Date(out.signs_from).getTime()).toBeGreaterThan(Date.now() + 10 * 60_000)
  })

  it('realm create serves a second realm at its own host, with its own issuer', async () => {
    const port = await freePort()
    const created = JSON.parse(await cli(['realm', 'create', '--data', place.data, '--name', 'Widgets', '--loginrocket-url', `http://login.widgets.test:${port}`], place.env))
    expect(created.loginrocket_url).toBe(`http://login.widgets.test:${port}`)
    await expect(cli(['realm', 'create', '--data', place.data, '--name', 'Again', '--loginrocket-url', `http://login.widgets.test:${port}`], place.env)).rejects.toThrow(/already served/)
    await expect(cli(['realm', 'create', '--data', place.data, '--name', 'Bad', '--loginrocket-url', 'login.example.com'], place.env)).rejects.toThrow(/loginrocket_url must be an origin/)

    let banner = ''
    const server = (await runCli(['start', '--data', place.data, '--port', String(port), '--public-url', `http://127.0.0.1:${port}`], {
      env: { ...place.env, AIRLOCK_HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
      stdout: { write: (text: string) => (banner += text) },
    })) as Running
    expect(banner).toContain(`Airlock is running at http://127.0.0.1:${port}`)
    try {
      const widgets = await getWithHost(`http://127.0.0.1:${port}/login`, `login.widgets.test:${port}`)
      expect(widgets.status).toBe(200)
      expect(widgets.body).toContain('Log in · Widgets')
      const main = await getWithHost(`http://127.0.0.1:${port}/login`, `127.0.0.1:${port}`)
      expect(main.body).toContain('Log in · Acme')
      const nobody = await getWithHost(`http://127.0.0.1:${port}/login`, 'unknown.test')
      expect(nobody.status).toBe(404)
      const jwks = JSON.parse((await getWithHost(`http://127.0.0.1:${port}/connect/jwks`, `login.widgets.test:${port}`)).body)
      const mainJwks = JSON.parse((await getWithHost(`http://127.0.0.1:${port}/connect/jwks`, `127.0.0.1:${port}`)).body)
      expect(jwks.keys[0].kid).not.toBe(mainJwks.keys[0].kid)
    } finally {
      await server.stop()
    }
  })
})

describe('the airlock binary', () => {
  it('init --json prints the realm as JSON', () => {
    const data = mkdtempSync(join(tmpdir(), 'airlock-bin-'))
    const result = spawnSync(process.execPath, [bin, 'init', '--json', '--data', data], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } })
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    expect(JSON.parse(result.stdout).realm_id).toMatch(/^rl_/)
  })

  it('runs inside the repository as npm run airlock -- <command> (what the READMEs say), from the sources', () => {
    const data = mkdtempSync(join(tmpdir(), 'airlock-npm-run-'))
    const root = join(import.meta.dirname, '..', '..', '..')
    const result = spawnSync('npm', ['run', '--silent', 'airlock', '--', 'init', '--json', '--data', data], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'silent' },
    })
    expect(result.status).toBe(0)
    expect(JSON.parse(result.stdout).realm_id).toMatch(/^rl_/)
  })

  it('refuses a bad setting with a message that names it, and exit code 2', () => {
    const result = spawnSync(process.execPath, [bin, 'start', '--port', 'eighty'], { encoding: 'utf8' })
    expect(result.status).toBe(2)
    expect(result.stderr).toBe('airlock: --port must be a port number from 1 to 65535 (got "eighty")\n')
    const env = spawnSync(process.execPath, [bin, 'init'], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: 'mysql://x' } })
    expect(env.stderr).toBe('airlock: DATABASE_URL must be a postgres:// URL (leave it unset to use SQLite in the data folder)\n')
    const unknown = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' })
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toMatch(/"frobnicate" is not a command/)
  })
})
