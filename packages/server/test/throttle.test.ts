import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientKey, LOGIN_IN_FLIGHT_PER_ADDRESS } from '../src/http/throttle.js'
import { LIMITS } from '../src/services/throttle.js'
import { claimsOf, tokenFrom } from './support/browser.js'
import { cli } from './support/cli.js'
import { Client, freshIp } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { linkIn, MailCatcher, settle } from './support/mail-catcher.js'
import { startServer, type TestServer } from './support/server.js'

const APP = 'http://localhost:3000'
const PASSWORD = 'correct horse battery'
const WRONG = 'wrong password!'

const login = (server: TestServer, email: string, password: string, ip?: string) =>
  new Client(server, ip).submit(`/login?redirect_uri=${encodeURIComponent(APP)}`, { email, password })

async function signup(server: TestServer, email: string) {
  const res = await new Client(server).submit(`/signup?redirect_uri=${encodeURIComponent(APP)}`, { email, password: PASSWORD, first_name: 'Ann' })
  expect(res.status).toBe(303)
  return res
}

/** A 429 as the error pages answer it: the page, Retry-After, and nothing that logs anyone in. */
async function expectLimited(res: Response, minutes: number) {
  expect(res.status).toBe(429)
  const wait = Number(res.headers.get('retry-after'))
  expect(wait).toBeGreaterThan((minutes - 1) * 60)
  expect(wait).toBeLessThanOrEqual(minutes * 60)
  expect(res.headers.get('location')).toBeNull()
  expect(res.headers.getSetCookie().some((line) => line.startsWith('lr_session='))).toBe(false)
  expect(res.headers.get('content-type')).toContain('text/html')
  expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
  const html = await res.text()
  expect(html).toContain('Too many attempts')
  expect(html).toContain(`Try again in ${minutes} minutes.`)
  return html
}

/** The 429 page the same for everyone: without the time left, which moves on between requests. */
const comparable = (html: string) => html.replace(/Try again in \d+ minutes?/, '')

describe('clientKey', () => {
  it('keeps IPv4 addresses and unwraps IPv4-mapped IPv6 ones', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7')
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7')
  })

  it('counts IPv6 clients by their /64, however the address is written', () => {
    const key = clientKey('2001:db8:85a3:42::1')
    expect(key).toBe('2001:db8:85a3:42::/64')
    expect(clientKey('2001:0DB8:85A3:0042:ffff:eeee:dddd:cccc')).toBe(key)
    expect(clientKey('2001:db8:85a3:42::1%eth0')).toBe(key)
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(clientKey('::1')).toBe('0:0:0:0::/64')
    expect(clientKey('2001:db8:85a3:43::1')).not.toBe(key)
  })

  it('passes anything else through unchanged', () => {
    expect(clientKey('unknown')).toBe('unknown')
  })
})

describe.each(DIALECTS)('throttling on %s', (dialect) => {
  let server: TestServer
  let smtp: MailCatcher
  const logged: Record<string, unknown>[] = []

  beforeAll(async () => {
    smtp = await MailCatcher.start()
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line)) })
    server = await startServer({
      dialect,
      trustProxy: true,
      logger,
      env: { AIRLOCK_SMTP_URL: smtp.url },
      settings: [`login_urls=${APP}`, 'email_verification=optional'],
    })
  })
  afterAll(async () => {
    await server.close()
    await smtp.close()
  })

  describe('login', () => {
    const TIGHT = LIMITS.login_account_ip.points
    const LOOSE = LIMITS.login_account.points

    /** Failed logins for one account, each from an address of its own (a botnet), a few at a time. */
    async function guessFromEverywhere(email: string, count: number) {
      for (let done = 0; done < count; done += 10) {
        const answers = await Promise.all(Array.from({ length: Math.min(10, count - done) }, () => login(server, email, WRONG)))
        for (const res of answers) expect(res.status).toBe(401)
      }
    }

    it(`locks an account from one address after ${TIGHT} failures from it, even for the right password`, async () => {
      const ip = freshIp()
      await signup(server, 'locked@example.com')
      for (let i = 0; i < TIGHT; i++) expect((await login(server, 'locked@example.com', WRONG, ip)).status).toBe(401)
      await expectLimited(await login(server, 'locked@example.com', PASSWORD, ip), 15)
      await expectLimited(await login(server, 'locked@example.com', WRONG, ip), 15)
    })

    it("an attacker's failed logins from another address don't lock the owner out", async () => {
      const attacker = freshIp()
      await signup(server, 'targeted@example.com')
      for (let i = 0; i < TIGHT; i++) expect((await login(server, 'targeted@example.com', WRONG, attacker)).status).toBe(401)
      await expectLimited(await login(server, 'targeted@example.com', PASSWORD, attacker), 15)
      const owner = await login(server, 'targeted@example.com', PASSWORD)
      expect(owner.status).toBe(303)
      expect(claimsOf(tokenFrom(owner)).email).toBe('targeted@example.com')
    })

    it('distributed guessing is still capped per account', async () => {
      await signup(server, 'botnet@example.com')
      await guessFromEverywhere('botnet@example.com', LOOSE)
      // Any address now, even with the right password: the account's hour is spent.
      await expectLimited(await login(server, 'botnet@example.com', PASSWORD), 60)
      await expectLimited(await login(server, 'botnet@example.com', WRONG), 60)
    })

    it('the owner of an account being hammered is mailed once, with a way to reset', async () => {
      const email = 'hammered@example.com'
      await signup(server, email)
      await smtp.waitFor(email) // the verification mail
      await guessFromEverywhere(email, LOOSE)
      for (let i = 0; i < 3; i++) await expectLimited(await login(server, email, WRONG), 60)
      const mail = await smtp.waitFor(email, 2)
      expect(mail.subject).toBe('Someone is trying to log in to your Demo account')
      expect(mail.text).toContain(`trying to log in to the Demo account for ${email}`)
      expect(mail.text).toContain("If it wasn't you, you don't need to do anything")
      expect(mail.text).toContain(`${server.url}/forgot\n`)
      expect((await fetch(`${server.url}/forgot`)).status).toBe(200)
      await settle()
      expect(smtp.to(email)).toHaveLength(2)
      // An address nobody has gets no mail, and the same answer.
      await guessFromEverywhere('nobody-hammered@example.com', LOOSE)
      await expectLimited(await login(server, 'nobody-hammered@example.com', WRONG), 60)
      await settle()
      expect(smtp.to('nobody-hammered@example.com')).toHaveLength(0)
    })

    it('the 429 page of a login links to the password reset, keeping the flow, and says how long to wait', async () => {
      const ip = freshIp()
      for (let i = 0; i < TIGHT; i++) expect((await login(server, 'waiting@example.com', WRONG, ip)).status).toBe(401)
      const html = await expectLimited(await login(server, 'waiting@example.com', PASSWORD, ip), 15)
      expect(html).toContain(`<a href="/forgot?redirect_uri=${encodeURIComponent(APP)}">Forgot your password?</a>`)
    })

    it(`guesses sent all at once from one address get no more than ${TIGHT} password checks`, async () => {
      const ip = freshIp()
      await signup(server, 'burst@example.com')
      const extra = 6
      const answers = await Promise.all(Array.from({ length: TIGHT + extra }, () => login(server, 'burst@example.com', WRONG, ip)))
      const statuses = answers.map((res) => res.status)
      expect(statuses.filter((status) => status === 401)).toHaveLength(TIGHT)
      expect(statuses.filter((status) => status === 429)).toHaveLength(extra)
      await expectLimited(await login(server, 'burst@example.com', PASSWORD, ip), 15)
    })

    it(`guesses sent all at once from everywhere get no more than ${LOOSE} password checks`, async () => {
      await signup(server, 'burst-everywhere@example.com')
      const extra = 6
      const answers = await Promise.all(Array.from({ length: LOOSE + extra }, () => login(server, 'burst-everywhere@example.com', WRONG)))
      const statuses = answers.map((res) => res.status)
      expect(statuses.filter((status) => status === 401)).toHaveLength(LOOSE)
      expect(statuses.filter((status) => status === 429)).toHaveLength(extra)
    })

    it('counts unknown emails the same way, with the same answer', async () => {
      await signup(server, 'known-lock@example.com')
      const pages: string[] = []
      for (const email of ['known-lock@example.com', 'unknown-lock@example.com']) {
        const ip = freshIp()
        for (let i = 0; i < TIGHT; i++) expect((await login(server, email, WRONG, ip)).status).toBe(401)
        pages.push(comparable(await expectLimited(await login(server, email, WRONG, ip), 15)))
      }
      expect(pages[0]).toBe(pages[1])
    })

    it('counts an account by its email as stored: any case, fullwidth letters, spaces around', async () => {
      const ip = freshIp()
      await signup(server, 'variant@example.com')
      const spellings = ['VARIANT@example.com', 'ｖａｒｉａｎｔ@example.com', '  variant@EXAMPLE.com ', 'Variant@Example.Com']
      for (let i = 0; i < TIGHT; i++) {
        expect((await login(server, spellings[i % spellings.length]!, WRONG, ip)).status).toBe(401)
      }
      await expectLimited(await login(server, 'variant@example.com', PASSWORD, ip), 15)
    })

    it("a successful login clears the account's failures from that address", async () => {
      const ip = freshIp()
      await signup(server, 'clears@example.com')
      for (let i = 0; i < TIGHT - 1; i++) expect((await login(server, 'clears@example.com', WRONG, ip)).status).toBe(401)
      expect((await login(server, 'clears@example.com', PASSWORD, ip)).status).toBe(303)
      for (let i = 0; i < TIGHT; i++) expect((await login(server, 'clears@example.com', WRONG, ip)).status).toBe(401)
      await expectLimited(await login(server, 'clears@example.com', PASSWORD, ip), 15)
    })

    it(`blocks an address after ${LIMITS.login_ip.points} failures over any accounts; other addresses go on`, async () => {
      const ip = freshIp()
      await signup(server, 'sprayed@example.com')
      for (let i = 0; i < LIMITS.login_ip.points; i++) expect((await login(server, `spray${i}@example.com`, WRONG, ip)).status).toBe(401)
      await expectLimited(await login(server, 'sprayed@example.com', PASSWORD, ip), 15)
      expect((await login(server, 'sprayed@example.com', PASSWORD)).status).toBe(303)
    })

    it('correct passwords get no 429 behind one address: 200 people behind one NAT logging in at once all get their token', async () => {
      const people = Array.from({ length: 200 }, (_, i) => `office${i}@example.com`)
      for (let i = 0; i < people.length; i += 20) await Promise.all(people.slice(i, i + 20).map((email) => signup(server, email)))
      const office = freshIp()
      const answers = await Promise.all(people.map((email) => login(server, email, PASSWORD, office)))
      expect(answers.map((res) => res.status)).toEqual(people.map(() => 303))
      expect(answers.map((res) => claimsOf(tokenFrom(res)).email)).toEqual(people)
    }, 120_000)

    it(`wrong passwords sent all at once from one address still end with the address limited, at most ${LOGIN_IN_FLIGHT_PER_ADDRESS} past the limit`, async () => {
      const ip = freshIp()
      await signup(server, 'sprayed-at-once@example.com')
      const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => login(server, `spray-at-once${i}@example.com`, WRONG, ip)))
      const failures = answers.filter((res) => res.status === 401).length
      expect(failures).toBeGreaterThanOrEqual(LIMITS.login_ip.points)
      expect(failures).toBeLessThanOrEqual(LIMITS.login_ip.points + LOGIN_IN_FLIGHT_PER_ADDRESS)
      expect(answers.every((res) => res.status === 401 || res.status === 429)).toBe(true)
      await expectLimited(await login(server, 'sprayed-at-once@example.com', PASSWORD, ip), 15)
    })

    it('only failures count: successes, forged forms and refused redirect_uris spend nothing', async () => {
      const ip = freshIp()
      await signup(server, 'often@example.com')
      for (let i = 0; i < LIMITS.login_ip.points + 5; i++) {
        const res = await login(server, 'often@example.com', PASSWORD, ip)
        expect(res.status).toBe(303)
        expect(claimsOf(tokenFrom(res)).email).toBe('often@example.com')
      }
      const client = new Client(server, ip)
      await client.get('/login')
      for (let i = 0; i < TIGHT + 2; i++) {
        expect((await client.post('/login', { csrf: 'forged', email: 'often@example.com', password: WRONG })).status).toBe(403)
        expect((await client.post(`/login?redirect_uri=${encodeURIComponent('https://evil.example/')}`, { email: 'often@example.com', password: WRONG })).status).toBe(400)
      }
      for (let i = 0; i < TIGHT; i++) expect((await login(server, 'often@example.com', WRONG, ip)).status).toBe(401)
      await expectLimited(await login(server, 'often@example.com', PASSWORD, ip), 15)
    })

    it('counts a path spelled with escapes as the same path', async () => {
      const client = new Client(server)
      await client.get('/login')
      for (let i = 0; i < TIGHT; i++) {
        expect((await client.post(i % 2 ? '/log%69n' : '/login', { email: 'escaped@example.com', password: WRONG })).status).toBe(401)
      }
      expect((await client.post('/%6cogin', { email: 'escaped@example.com', password: WRONG })).status).toBe(429)
    })

    /** The owner asks for a reset link from their own address and uses it; returns the browser, now logged in. */
    async function resetPassword(email: string, newPassword: string, ip?: string) {
      const owner = new Client(server, ip)
      const sent = smtp.to(email).length
      expect((await owner.submit('/forgot', { email })).status).toBe(200)
      const link = linkIn((await smtp.waitFor(email, sent + 1)).text, server.url, '/reset')
      await owner.get(link.pathname + link.search)
      const reset = await owner.post('/reset', { token: link.searchParams.get('token')!, new_password: newPassword })
      expect(reset.status).toBe(303)
      expect(reset.headers.getSetCookie().some((line) => line.startsWith('lr_session='))).toBe(true)
      return owner
    }

    it("an attacker's failed logins never stop the owner's password reset", async () => {
      const email = 'owner@example.com'
      await signup(server, email)
      await smtp.waitFor(email) // the verification mail, sent in the background
      await guessFromEverywhere(email, LOOSE)
      await expectLimited(await login(server, email, PASSWORD), 60)
      await smtp.waitFor(email, 2) // the mail that warns the owner

      const owner = await resetPassword(email, 'a brand new password')
      // Logged in by the reset: single sign-on needs no password.
      const sso = await owner.get(`/login?redirect_uri=${encodeURIComponent(APP)}`)
      expect(claimsOf(tokenFrom(sso)).email).toBe(email)
    })

    it('a completed reset clears the lockout, per address and per account', async () => {
      const email = 'reset-unlocks@example.com'
      const home = freshIp()
      await signup(server, email)
      await smtp.waitFor(email)
      for (let i = 0; i < TIGHT; i++) expect((await login(server, email, WRONG, home)).status).toBe(401)
      await guessFromEverywhere(email, LOOSE - TIGHT)
      await expectLimited(await login(server, email, PASSWORD, home), 60) // the longer of the two waits
      await expectLimited(await login(server, email, PASSWORD), 60)
      await smtp.waitFor(email, 2) // the mail that warns the owner

      await resetPassword(email, 'unlocked by the mailbox', freshIp())
      expect((await login(server, email, 'unlocked by the mailbox', home)).status).toBe(303)
      expect((await login(server, email, 'unlocked by the mailbox')).status).toBe(303)
    })
  })

  describe('profile', () => {
    /** A browser logged in as a new user, on its profile page. */
    async function onProfile(email: string) {
      const client = new Client(server)
      expect((await client.submit('/signup', { email, password: PASSWORD })).status).toBe(303)
      expect((await client.get('/profile')).status).toBe(200)
      return client
    }
    const guess = (client: Client, i: number) => client.post('/profile/password', { current_password: `guess number ${i}`, new_password: 'another long password' })

    it(`a stolen session can't guess the password either: ${LIMITS.profile_user.points} refused checks per user`, async () => {
      const client = await onProfile('profile-guess@example.com')
      for (let i = 0; i < LIMITS.profile_user.points; i++) expect((await guess(client, i)).status).toBe(422)
      // The email form checks the password too, and counts against the same user.
      await expectLimited(await client.post('/profile/email', { email: 'new-address@example.com', email_password: PASSWORD }), 15)
      await expectLimited(await client.post('/profile/password', { current_password: PASSWORD, new_password: 'another long password' }), 15)
      // Another user is not affected.
      const other = await onProfile('profile-other@example.com')
      expect((await guess(other, 0)).status).toBe(422)
    })

    it('a successful change clears the count', async () => {
      const client = await onProfile('profile-clears@example.com')
      for (let i = 0; i < LIMITS.profile_user.points - 1; i++) expect((await guess(client, i)).status).toBe(422)
      const changed = await client.post('/profile/password', { current_password: PASSWORD, new_password: 'another long password' })
      expect(changed.status).toBe(303)
      await client.get('/profile')
      for (let i = 0; i < LIMITS.profile_user.points; i++) expect((await guess(client, i)).status).toBe(422)
      expect((await guess(client, 99)).status).toBe(429)
    })
  })

  describe('mail', () => {
    it(`/forgot: ${LIMITS.forgot_email.points} per email per hour, from any addresses, known or not`, async () => {
      await signup(server, 'mailbomb@example.com')
      await smtp.waitFor('mailbomb@example.com') // the verification mail
      for (const email of ['mailbomb@example.com', 'nobody-here@example.com']) {
        for (let i = 0; i < LIMITS.forgot_email.points; i++) expect((await new Client(server).submit('/forgot', { email })).status).toBe(200)
        await expectLimited(await new Client(server).submit('/forgot', { email: email.toUpperCase() }), 60)
      }
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(smtp.to('mailbomb@example.com')).toHaveLength(1 + LIMITS.forgot_email.points)
    })

    it(`/forgot: ${LIMITS.forgot_ip.points} per address per hour`, async () => {
      const client = new Client(server)
      await client.get('/forgot')
      for (let i = 0; i < LIMITS.forgot_ip.points; i++) expect((await client.post('/forgot', { email: `ask${i}@example.com` })).status).toBe(200)
      await expectLimited(await client.post('/forgot', { email: 'one-more@example.com' }), 60)
      expect((await new Client(server).submit('/forgot', { email: 'one-more@example.com' })).status).toBe(200)
    })

    it(`/verify/resend: ${LIMITS.resend_target.points} per email per hour`, async () => {
      const email = 'resend-limit@example.com'
      await signup(server, email)
      const resend = async () => {
        const client = new Client(server)
        await client.get('/forgot') // any form page gives the browser its CSRF token
        return client.post('/verify/resend', { email })
      }
      for (let i = 0; i < LIMITS.resend_target.points; i++) expect((await resend()).status).toBe(200)
      await expectLimited(await resend(), 60)
    })

    it(`/verify/resend: ${LIMITS.resend_ip.points} per address per hour`, async () => {
      const client = new Client(server)
      await client.get('/forgot')
      for (let i = 0; i < LIMITS.resend_ip.points; i++) expect((await client.post('/verify/resend', { email: `resend${i}@example.com` })).status).toBe(200)
      await expectLimited(await client.post('/verify/resend', { email: 'resend-more@example.com' }), 60)
    })
  })

  it(`signup: ${LIMITS.signup_ip.points} forms per address per hour, accepted or refused`, async () => {
    const client = new Client(server)
    await client.get('/signup')
    // Forms refused before the route looks at them (a foreign return address) cost nothing.
    for (let i = 0; i < LIMITS.signup_ip.points + 5; i++) {
      expect((await client.post(`/signup?redirect_uri=${encodeURIComponent('https://evil.example/')}`, { email: `x${i}@example.com`, password: PASSWORD })).status).toBe(400)
    }
    for (let i = 0; i < LIMITS.signup_ip.points; i++) {
      const res = await client.post('/signup', i % 2 ? { email: `bad${i}`, password: 'short' } : { email: `many${i}@example.com`, password: PASSWORD })
      expect(res.status).toBe(i % 2 ? 422 : 303)
      if (res.status === 303) await client.get('/signup')
    }
    await expectLimited(await client.post('/signup', { email: 'too-many@example.com', password: PASSWORD }), 60)
    const other = await new Client(server).submit('/signup', { email: 'too-many@example.com', password: PASSWORD })
    expect(other.status).toBe(303)
  })

  it('admin reset-password through the real CLI lets a locked-out admin in, and ends their sessions', async () => {
    const email = 'locked-admin@example.com'
    const created = await server.booted.services.admins.create(email, 'the first admin password', null, new Date())
    expect(created.ok).toBe(true)
    const adminLogin = (password: string, ip = freshIp()) => new Client(server, ip).submit('/admin/login', { email, password })
    const before = new Client(server)
    await before.submit('/admin/login', { email, password: 'the first admin password' })
    expect((await before.get('/admin')).status).toBe(200)

    // Locked out from the admin's own address by someone guessing there.
    const office = freshIp()
    for (let i = 0; i < LIMITS.login_account_ip.points; i++) expect((await adminLogin(WRONG, office)).status).toBe(401)
    const html = await expectLimited(await adminLogin('the first admin password', office), 15)
    expect(html).toContain('airlock admin reset-password --email EMAIL')

    const run = (password: string, who = email) =>
      cli(['admin', 'reset-password', '--data', server.dataDir, '--email', who], { DATABASE_URL: server.databaseUrl, AIRLOCK_ADMIN_PASSWORD: password })
    await expect(run('12345678')).rejects.toThrow(/^admin reset-password: password: This password is one of the most common ones/)
    await expect(run('a fine new passphrase', 'nobody@example.com')).rejects.toThrow('admin reset-password: email: No admin has the email nobody@example.com.')
    expect(JSON.parse(await run('a fine new passphrase'))).toEqual({ admin_id: created.ok && created.value.id, email, sessions: 'ended' })

    expect((await adminLogin('a fine new passphrase', office)).status).toBe(303)
    expect((await adminLogin('the first admin password')).status).toBe(401)
    // The session from before the reset is over.
    expect((await before.get('/admin')).headers.get('location')).toBe('/admin/login')
  })

  it('fails open: when the counters cannot be written, logins go on as usual and the failure is logged', async () => {
    const db = server.booted.services.db.kysely
    await sql`alter table rate_limits rename to rate_limits_away`.execute(db)
    try {
      await signup(server, 'open@example.com')
      for (let i = 0; i < LIMITS.login_account.points + 2; i++) expect((await login(server, 'open@example.com', WRONG)).status).toBe(401)
      expect((await login(server, 'open@example.com', PASSWORD)).status).toBe(303)
      expect(logged.some((line) => line.msg === 'rate limiter unavailable; request let through' && line.limit === 'login_account')).toBe(true)
    } finally {
      await sql`alter table rate_limits_away rename to rate_limits`.execute(db)
    }
  })
})

describe.runIf(DIALECTS.includes('postgres'))('throttling across processes on postgres', () => {
  let first: TestServer
  let second: TestServer

  beforeAll(async () => {
    // Servers on one database share its master secret (a server with another one refuses to start).
    const env = { AIRLOCK_SECRET: randomBytes(32).toString('hex') }
    first = await startServer({ dialect: 'postgres', env, settings: [`login_urls=${APP}`] })
    second = await startServer({ dialect: 'postgres', env, databaseUrl: first.databaseUrl! })
  })
  afterAll(async () => {
    await second?.close()
    await first?.close()
  })

  it('two servers on one database share the counters', async () => {
    await signup(first, 'shared@example.com')
    // Without trustProxy, every request comes from 127.0.0.1: one address.
    for (let i = 0; i < LIMITS.login_account_ip.points; i++) {
      expect((await login(i % 2 ? first : second, 'shared@example.com', WRONG)).status).toBe(401)
    }
    await expectLimited(await login(first, 'shared@example.com', PASSWORD), 15)
    await expectLimited(await login(second, 'shared@example.com', PASSWORD), 15)
  })
})
