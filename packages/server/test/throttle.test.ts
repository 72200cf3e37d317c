import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientKey } from '../src/http/throttle.js'
import { LIMITS } from '../src/services/throttle.js'
import { claimsOf, tokenFrom } from './support/browser.js'
import { Client, freshIp } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { linkIn, MailCatcher } from './support/mail-catcher.js'
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
    it(`locks an account after ${LIMITS.login_account.points} failures from any addresses, even for the right password`, async () => {
      await signup(server, 'locked@example.com')
      for (let i = 0; i < LIMITS.login_account.points; i++) {
        expect((await login(server, 'locked@example.com', WRONG)).status).toBe(401)
      }
      await expectLimited(await login(server, 'locked@example.com', PASSWORD), 15)
      await expectLimited(await login(server, 'locked@example.com', WRONG), 15)
    })

    it(`guesses sent all at once get no more than ${LIMITS.login_account.points} password checks`, async () => {
      await signup(server, 'burst@example.com')
      const extra = 6
      const answers = await Promise.all(Array.from({ length: LIMITS.login_account.points + extra }, () => login(server, 'burst@example.com', WRONG)))
      const statuses = answers.map((res) => res.status)
      expect(statuses.filter((status) => status === 401)).toHaveLength(LIMITS.login_account.points)
      expect(statuses.filter((status) => status === 429)).toHaveLength(extra)
      await expectLimited(await login(server, 'burst@example.com', PASSWORD), 15)
    })

    it('counts unknown emails the same way, with the same answer', async () => {
      await signup(server, 'known-lock@example.com')
      const pages: string[] = []
      for (const email of ['known-lock@example.com', 'unknown-lock@example.com']) {
        for (let i = 0; i < LIMITS.login_account.points; i++) expect((await login(server, email, WRONG)).status).toBe(401)
        pages.push(comparable(await expectLimited(await login(server, email, WRONG), 15)))
      }
      expect(pages[0]).toBe(pages[1])
    })

    it('counts an account by its email as stored: any case, fullwidth letters, spaces around', async () => {
      await signup(server, 'variant@example.com')
      const spellings = ['VARIANT@example.com', 'ｖａｒｉａｎｔ@example.com', '  variant@EXAMPLE.com ', 'Variant@Example.Com']
      for (let i = 0; i < LIMITS.login_account.points; i++) {
        expect((await login(server, spellings[i % spellings.length]!, WRONG)).status).toBe(401)
      }
      await expectLimited(await login(server, 'variant@example.com', PASSWORD), 15)
    })

    it("a successful login clears the account's failures", async () => {
      await signup(server, 'clears@example.com')
      for (let i = 0; i < LIMITS.login_account.points - 1; i++) expect((await login(server, 'clears@example.com', WRONG)).status).toBe(401)
      expect((await login(server, 'clears@example.com', PASSWORD)).status).toBe(303)
      for (let i = 0; i < LIMITS.login_account.points; i++) expect((await login(server, 'clears@example.com', WRONG)).status).toBe(401)
      await expectLimited(await login(server, 'clears@example.com', PASSWORD), 15)
    })

    it(`blocks an address after ${LIMITS.login_ip.points} failures over any accounts; other addresses go on`, async () => {
      const ip = freshIp()
      await signup(server, 'sprayed@example.com')
      for (let i = 0; i < LIMITS.login_ip.points; i++) expect((await login(server, `spray${i}@example.com`, WRONG, ip)).status).toBe(401)
      await expectLimited(await login(server, 'sprayed@example.com', PASSWORD, ip), 15)
      expect((await login(server, 'sprayed@example.com', PASSWORD)).status).toBe(303)
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
      for (let i = 0; i < LIMITS.login_account.points + 2; i++) {
        expect((await client.post('/login', { csrf: 'forged', email: 'often@example.com', password: WRONG })).status).toBe(403)
        expect((await client.post(`/login?redirect_uri=${encodeURIComponent('https://evil.example/')}`, { email: 'often@example.com', password: WRONG })).status).toBe(400)
      }
      for (let i = 0; i < LIMITS.login_account.points; i++) expect((await login(server, 'often@example.com', WRONG, ip)).status).toBe(401)
      await expectLimited(await login(server, 'often@example.com', PASSWORD, ip), 15)
    })

    it('counts a path spelled with escapes as the same path', async () => {
      const client = new Client(server)
      await client.get('/login')
      for (let i = 0; i < LIMITS.login_account.points; i++) {
        expect((await client.post(i % 2 ? '/log%69n' : '/login', { email: 'escaped@example.com', password: WRONG })).status).toBe(401)
      }
      expect((await client.post('/%6cogin', { email: 'escaped@example.com', password: WRONG })).status).toBe(429)
    })

    it("an attacker's failed logins never stop the owner's password reset", async () => {
      const email = 'owner@example.com'
      await signup(server, email)
      await smtp.waitFor(email) // the verification mail, sent in the background
      for (let i = 0; i < LIMITS.login_account.points; i++) expect((await login(server, email, WRONG)).status).toBe(401)
      await expectLimited(await login(server, email, PASSWORD), 15)

      const owner = new Client(server)
      const sent = smtp.to(email).length
      expect((await owner.submit('/forgot', { email })).status).toBe(200)
      const link = linkIn((await smtp.waitFor(email, sent + 1)).text, server.url, '/reset')
      await owner.get(link.pathname + link.search)
      const reset = await owner.post('/reset', { token: link.searchParams.get('token')!, new_password: 'a brand new password' })
      expect(reset.status).toBe(303)
      expect(reset.headers.getSetCookie().some((line) => line.startsWith('lr_session='))).toBe(true)
      // Logged in by the reset: single sign-on needs no password while the attacker keeps the form locked.
      const sso = await owner.get(`/login?redirect_uri=${encodeURIComponent(APP)}`)
      expect(claimsOf(tokenFrom(sso)).email).toBe(email)
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
    first = await startServer({ dialect: 'postgres', settings: [`login_urls=${APP}`] })
    second = await startServer({ dialect: 'postgres', databaseUrl: first.databaseUrl! })
  })
  afterAll(async () => {
    await second?.close()
    await first?.close()
  })

  it('two servers on one database share the counters', async () => {
    await signup(first, 'shared@example.com')
    for (let i = 0; i < LIMITS.login_account.points; i++) {
      expect((await login(i % 2 ? first : second, 'shared@example.com', WRONG)).status).toBe(401)
    }
    await expectLimited(await login(first, 'shared@example.com', PASSWORD), 15)
    await expectLimited(await login(second, 'shared@example.com', PASSWORD), 15)
  })
})
