import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, type Running } from '../src/cli/run.js'
import { cli, cliProcess, useCliData } from './support/cli.js'
import { DIALECTS } from './support/dialects.js'
import { freePort } from './support/server.js'

describe.each(DIALECTS)('the first admin from the CLI on %s', (dialect) => {
  const place = useCliData(dialect, 'airlock-admin-cli-')

  it('start prints a one-time link to create the first admin while there is none', async () => {
    const port = await freePort()
    let banner = ''
    const server = (await runCli(['start', '--data', place.data, '--port', String(port), '--public-url', `http://127.0.0.1:${port}`], {
      env: { ...place.env, AIRLOCK_HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
      stdout: { write: (text: string) => (banner += text) },
    })) as Running
    try {
      const url = /First admin: (\S+)/.exec(banner)?.[1]
      expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/admin/setup\\?token=[\\w-]{43}$`))
      const page = await fetch(url!)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('Create the first admin')
    } finally {
      await server.stop()
    }
  })

  it('init --json prints a new setup link each time, voiding the one before', async () => {
    const first = JSON.parse(await cli(['init', '--json', '--data', place.data], place.env)).admin_setup_url as string
    const second = JSON.parse(await cli(['init', '--json', '--data', place.data], place.env)).admin_setup_url as string
    expect(first).toMatch(/^http:\/\/localhost:4000\/admin\/setup\?token=/)
    expect(second).not.toBe(first)
  })

  it('admin create refuses a weak password, a bad email or a missing --email, naming the problem', async () => {
    await expect(cli(['admin', 'create', '--data', place.data, '--email', 'ops@example.com'], { ...place.env, AIRLOCK_ADMIN_PASSWORD: 'short' })).rejects.toThrow(
      /^admin create: password: Use at least 8 characters\.$/,
    )
    await expect(cli(['admin', 'create', '--data', place.data, '--email', 'ops@example.com'], place.env, '\n')).rejects.toThrow(/password: Use at least 8/)
    await expect(cli(['admin', 'create', '--data', place.data, '--email', 'not-an-email'], { ...place.env, AIRLOCK_ADMIN_PASSWORD: 'long enough pw' })).rejects.toThrow(
      /^admin create: email: Enter an email address/,
    )
    await expect(cli(['admin', 'create', '--data', place.data], { ...place.env, AIRLOCK_ADMIN_PASSWORD: 'long enough pw' })).rejects.toThrow(/--email is required/)
  })

  it('admin create takes the password from the environment or stdin; an existing email is refused; no setup link after', async () => {
    const made = JSON.parse(await cli(['admin', 'create', '--data', place.data, '--email', 'Ops@Example.com'], { ...place.env, AIRLOCK_ADMIN_PASSWORD: 'ops password 123' }))
    expect(made).toMatchObject({ email: 'Ops@Example.com' })
    expect(made.admin_id).toMatch(/^adm_[a-z2-7]{26}$/)
    const fromStdin = JSON.parse(await cli(['admin', 'create', '--data', place.data, '--email', 'second@example.com'], place.env, 'stdin password 123\nignored\n'))
    expect(fromStdin.email).toBe('second@example.com')
    await expect(cli(['admin', 'create', '--data', place.data, '--email', ' ops@example.COM'], { ...place.env, AIRLOCK_ADMIN_PASSWORD: 'another password 1' })).rejects.toThrow(
      /^admin create: email: An admin with the email ops@example.COM already exists\.$/,
    )
    const info = JSON.parse(await cli(['init', '--json', '--data', place.data], place.env))
    expect(info.admin_setup_url).toBeNull()
  })
})

describe('airlock admin create as a process', () => {
  it('exits with code 2 and names the problem, reading the password from stdin', () => {
    const data = mkdtempSync(join(tmpdir(), 'airlock-admin-bin-'))
    const run = (input: string) => cliProcess(['admin', 'create', '--data', data, '--email', 'bin@example.com'], input)
    const weak = run('short\n')
    expect(weak.stderr).toBe('airlock: admin create: password: Use at least 8 characters.\n')
    expect(weak.status).toBe(2)
    const ok = run('a good password 1\n')
    expect(ok.status).toBe(0)
    expect(JSON.parse(ok.stdout).email).toBe('bin@example.com')
    const taken = run('a good password 1\n')
    expect(taken.stderr).toBe('airlock: admin create: email: An admin with the email bin@example.com already exists.\n')
    expect(taken.status).toBe(2)
  })
})
