import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { passwordProblem, PASSWORD_MAX } from '../src/services/passwords.js'
import { APP, back, PASSWORD, signUp } from './support/accounts.js'
import { Browser } from './support/browser.js'
import { cli, cliProcess, useCliData } from './support/cli.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { linkIn, MailCatcher } from './support/mail-catcher.js'
import { startServer, type TestServer } from './support/server.js'

const REALM = 'Harbourside'
const COMMON = 'This password is one of the most common ones'
const SPACES = 'Use letters, digits or symbols, not only spaces.'
const EMAIL_IN = 'Choose a password that doesn’t contain your email address'
const NAME_IN = (name: string) => `Choose a password that doesn’t contain the name “${name}”.`
const GOOD = 'lantern orbit marmalade'

/** Each weak password an attacker tries first, with the start of the message that says what to fix. */
const weak = (email: string, name = REALM): [string, string][] => [
  ['password', COMMON],
  ['12345678', COMMON],
  ['PassWord123', COMMON],
  ['        ', SPACES],
  [`${name}123`, NAME_IN(name)],
  [email, EMAIL_IN],
  [`${email.split('@')[0]}-2024!`, EMAIL_IN],
]

describe('the password policy', () => {
  it('checks a password against the common list in well under a millisecond', () => {
    passwordProblem('warm the list up', {})
    const started = performance.now()
    for (let i = 0; i < 1000; i++) passwordProblem(`not common ${i} at all`, { email: 'x@example.com', realmName: REALM })
    expect((performance.now() - started) / 1000).toBeLessThan(0.1)
  })

  it('keeps ordinary passphrases, short local parts and short names out of the way', () => {
    expect(passwordProblem(GOOD, { email: 'ann@example.com', realmName: 'X' })).toBeNull()
    expect(passwordProblem('planning ahead 42', { email: 'ann@example.com', realmName: 'Ab' })).toBeNull()
    expect(passwordProblem('x'.repeat(PASSWORD_MAX), {})).toBeNull()
    expect(passwordProblem('x'.repeat(PASSWORD_MAX + 1), {})).toBe(`Use at most ${PASSWORD_MAX} characters.`)
    expect(passwordProblem('short', {})).toBe('Use at least 8 characters.')
    // Case and compatibility forms don't get a common password through.
    expect(passwordProblem('ＰＡＳＳＷＯＲＤ', {})).toMatch(COMMON)
    expect(passwordProblem('Acmecorp rocks', { realmName: 'Acme Corp' })).toBe(NAME_IN('Acme Corp'))
  })
})

describe.each(DIALECTS)('weak passwords on %s', (dialect) => {
  let server: TestServer
  let smtp: MailCatcher

  beforeAll(async () => {
    smtp = await MailCatcher.start()
    server = await startServer({ dialect, trustProxy: true, env: { AIRLOCK_SMTP_URL: smtp.url }, settings: [`login_urls=${APP}`, `name=${REALM}`] })
  })
  afterAll(async () => {
    await server.close()
    await smtp.close()
  })

  it('signup refuses password, 12345678, eight spaces, the realm’s name and the email, saying what to fix', async () => {
    const email = 'weakling@example.com'
    for (const [password, message] of weak(email)) {
      const client = new Client(server)
      const res = await client.submit(`/signup?${back}`, { email, password, first_name: 'Wes' })
      expect(res.status, password).toBe(422)
      expect(await res.text()).toContain(message)
    }
    expect((await signUp(server, email, { password: GOOD })).userId).toMatch(/^usr_/)
  })

  it('a password of 256 characters works; at login, a longer one is a wrong password', async () => {
    const longest = 'lantern '.repeat(32)
    const person = await signUp(server, 'longest@example.com', { password: longest })
    expect((await new Client(server).submit(`/login?${back}`, { email: person.email, password: longest })).status).toBe(303)
    expect((await new Client(server).submit(`/login?${back}`, { email: person.email, password: `${longest}x` })).status).toBe(401)
  })

  it('the profile refuses a weak new password and keeps the old one', async () => {
    const person = await signUp(server, 'profiled@example.com')
    await person.client.get('/profile')
    for (const [password, message] of weak(person.email)) {
      const res = await person.client.post('/profile/password', { current_password: PASSWORD, new_password: password })
      expect(res.status, password).toBe(422)
      expect(await res.text()).toContain(message)
    }
    const res = await person.client.post('/profile/password', { current_password: PASSWORD, new_password: GOOD })
    expect(res.status).toBe(303)
    const login = await new Client(server).submit(`/login?${back}`, { email: person.email, password: GOOD })
    expect(login.status).toBe(303)
  })

  it('a password reset refuses a weak password, and the link still works for a good one', async () => {
    const person = await signUp(server, 'resetter@example.com')
    const browser = new Browser(server.url)
    await browser.get('/forgot')
    await browser.post('/forgot', { email: person.email })
    const link = linkIn((await smtp.waitFor(person.email, 2)).text, server.url, '/reset')
    await browser.get(link.pathname + link.search)
    for (const [password, message] of weak(person.email)) {
      const res = await browser.post('/reset', { token: link.searchParams.get('token')!, new_password: password })
      expect(res.status, password).toBe(422)
      expect(await res.text()).toContain(message)
    }
    const res = await browser.post('/reset', { token: link.searchParams.get('token')!, new_password: GOOD })
    expect(res.status).toBe(303)
  })

  it('the first-admin setup refuses a weak password', async () => {
    const secret = (await server.booted.services.admins.setupSecret(new Date()))!
    const client = new Client(server)
    await client.get(`/admin/setup?token=${secret}`)
    const email = 'boss@example.com'
    for (const [password, message] of weak(email, 'Airlock')) {
      const res = await client.post('/admin/setup', { token: secret, email, password, confirm: password })
      expect(res.status, password).toBe(422)
      expect(await res.text()).toContain(message)
    }
    const res = await client.post('/admin/setup', { token: secret, email, password: GOOD, confirm: GOOD })
    expect(res.status).toBe(303)
  })
})

describe.each(DIALECTS)('airlock admin create with a weak password on %s', (dialect) => {
  const place = useCliData(dialect, 'airlock-weak-cli-')

  it('refuses password, 12345678, eight spaces, Airlock123 and the email, then takes a good passphrase', async () => {
    const email = 'operator@example.com'
    for (const [password, message] of weak(email, 'Airlock')) {
      await expect(cli(['admin', 'create', '--data', place.data, '--email', email], { ...place.env, AIRLOCK_ADMIN_PASSWORD: password }), password).rejects.toThrow(
        `admin create: password: ${message}`,
      )
    }
    expect(JSON.parse(await cli(['admin', 'create', '--data', place.data, '--email', email], { ...place.env, AIRLOCK_ADMIN_PASSWORD: GOOD })).email).toBe(email)
  })
})

describe('airlock admin create as a process', () => {
  it('refuses a common password read from stdin, exiting with code 2', () => {
    const data = mkdtempSync(join(tmpdir(), 'airlock-weak-bin-'))
    const run = (input: string) => cliProcess(['admin', 'create', '--data', data, '--email', 'bin@example.com'], input)
    const weakRun = run('12345678\n')
    expect(weakRun.status).toBe(2)
    expect(weakRun.stderr).toContain(`airlock: admin create: password: ${COMMON}`)
    expect(run(`${GOOD}\n`).status).toBe(0)
  })
})
