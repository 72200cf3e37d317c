import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { boot } from '../src/bootstrap.js'
import { runCli, type Running } from '../src/cli/run.js'
import { loadConfig } from '../src/config/load.js'
import { toDbTime } from '../src/db/convert.js'
import { expiredRowsRepository } from '../src/db/repositories/expired-rows.js'
import { PRUNE_BATCH, retentionService } from '../src/services/retention.js'
import { throttleService } from '../src/services/throttle.js'
import { APP, signUp } from './support/accounts.js'
import { Browser } from './support/browser.js'
import { useCliData } from './support/cli.js'
import { DIALECTS } from './support/dialects.js'
import { freePort, startServer, type TestServer } from './support/server.js'

const DAY = 86_400_000
const RETENTION_DAYS = 30

describe.each(DIALECTS)('tables that only grow are pruned on %s', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ dialect, settings: [`login_urls=${APP}`] })
  })
  afterAll(() => server.close())

  const db = () => server.booted.services.db.kysely
  const now = new Date()
  const ago = (days: number) => toDbTime(new Date(now.getTime() - days * DAY))
  const ids = async (table: 'sessions' | 'admin_sessions' | 'one_time_tokens') =>
    (await db().selectFrom(table).select('id').where('id', 'like', 'prune-%').execute()).map((row) => row.id).sort()

  it(`deletes ended and expired sessions, used or expired links and mails older than the retention, in batches of ${PRUNE_BATCH}; newer and live ones stay`, async () => {
    const person = await signUp(server, 'retained@example.com')
    const realmId = server.booted.realm.id
    const admin = await server.booted.services.admins.create('prune-admin@example.com', 'admin password 123', null, now)
    if (!admin.ok) throw new Error('admin not created')

    const session = (id: string, created: number, expires: number, ended: number | null) => ({
      id: `prune-${id}`,
      realm_id: realmId,
      user_id: person.userId,
      secret_hash: `hash-${id}`,
      created_at: ago(created),
      expires_at: ago(expires),
      ended_at: ended === null ? null : ago(ended),
      user_agent: null,
      ip: null,
    })
    // A backlog larger than one batch: all of it goes.
    const backlog = Array.from({ length: PRUNE_BATCH * 2 + 7 }, (_, i) => session(`old-ended-${String(i).padStart(5, '0')}`, 60, 40, 31))
    for (let i = 0; i < backlog.length; i += 200) await db().insertInto('sessions').values(backlog.slice(i, i + 200)).execute()
    await db()
      .insertInto('sessions')
      .values([
        session('old-expired', 60, 31, null),
        session('recently-ended', 60, 20, 29),
        session('recently-expired', 60, 29, null),
        // Long-lived and still going: created long ago, not ended, not expired.
        session('live', 60, -10, null),
      ])
      .execute()

    const adminSession = (id: string, expires: number, ended: number | null) => ({
      id: `prune-${id}`,
      admin_id: admin.value.id,
      secret_hash: `hash-${id}`,
      created_at: ago(Math.max(expires, 0) + 1),
      last_seen_at: ago(Math.max(expires, 0) + 1),
      expires_at: ago(expires),
      ended_at: ended === null ? null : ago(ended),
    })
    await db()
      .insertInto('admin_sessions')
      .values([adminSession('admin-old-ended', 35, 34), adminSession('admin-old-expired', 31, null), adminSession('admin-recent', 29, 29), adminSession('admin-live', -1, null)])
      .execute()

    const link = (id: string, created: number, expires: number, used: number | null) => ({
      id: `prune-${id}`,
      realm_id: realmId,
      user_id: person.userId,
      purpose: 'email_change_undo' as const,
      token_hash: `hash-${id}`,
      email: null,
      created_at: ago(created),
      expires_at: ago(expires),
      used_at: used === null ? null : ago(used),
    })
    await db()
      .insertInto('one_time_tokens')
      .values([
        link('link-old-used', 40, -100, 31),
        link('link-old-expired', 40, 31, null),
        link('link-recently-used', 40, -100, 29),
        link('link-recently-expired', 40, 29, null),
        link('link-live', 40, -1, null),
      ])
      .execute()

    const mail = (subject: string, created: number, sent: boolean) => ({
      realm_id: realmId,
      to_address: 'retained@example.com',
      subject,
      text_body: 'body',
      created_at: ago(created),
      sent_at: sent ? ago(created) : null,
      error: null,
    })
    await db()
      .insertInto('mails')
      .values([mail('prune old sent', 31, true), mail('prune old outbox', 31, false), mail('prune recent', 29, true)])
      .execute()

    const retention = retentionService(expiredRowsRepository(db()), RETENTION_DAYS)
    expect(await retention.prune(now)).toEqual({ sessions: backlog.length + 1, admin_sessions: 2, one_time_tokens: 2, mails: 2 })

    expect(await ids('sessions')).toEqual(['prune-live', 'prune-recently-ended', 'prune-recently-expired'])
    expect(await ids('admin_sessions')).toEqual(['prune-admin-live', 'prune-admin-recent'])
    expect(await ids('one_time_tokens')).toEqual(['prune-link-live', 'prune-link-recently-expired', 'prune-link-recently-used'])
    const subjects = (await db().selectFrom('mails').select('subject').where('subject', 'like', 'prune %').execute()).map((row) => row.subject)
    expect(subjects).toEqual(['prune recent'])
    // The signup's own session (live) stays.
    const own = await db().selectFrom('sessions').select('id').where('user_id', '=', person.userId).where('id', 'not like', 'prune-%').execute()
    expect(own).toHaveLength(1)

    expect(await retention.prune(now)).toEqual({ sessions: 0, admin_sessions: 0, one_time_tokens: 0, mails: 0 })
  })

  it("the rate limiter's windows have their sweep: windows that ended over an hour ago go, running ones stay", async () => {
    const t = Date.now()
    await sql`insert into rate_limits (key, points, expire) values ('prune:old', 3, ${t - 2 * 3_600_000}), ('prune:running', 3, ${t + 60_000})`.execute(db())
    await throttleService(server.booted.services.db, pino({ level: 'silent' }), 'key').sweep(t)
    const left = await sql<{ key: string }>`select key from rate_limits where key like 'prune:%' order by key`.execute(db())
    expect(left.rows.map((row) => row.key)).toEqual(['prune:running'])
  })
})

describe.each(DIALECTS)('a started server on %s', (dialect) => {
  const place = useCliData(dialect, 'airlock-retention-')

  it('with AIRLOCK_DATA_RETENTION_DAYS=1 prunes older mails soon after it starts, and the portal lists what is left', async () => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const booted = await boot(loadConfig({ port: String(port), data: place.data, publicUrl: url, env: { ...place.env, LOG_LEVEL: 'silent' } }))
    const realmId = booted.realm.id
    const mail = (subject: string, daysAgo: number) => {
      const at = toDbTime(new Date(Date.now() - daysAgo * DAY))
      return { realm_id: realmId, to_address: 'someone@example.com', subject, text_body: 'body', created_at: at, sent_at: at, error: null }
    }
    try {
      await booted.services.admins.create('root@example.com', 'admin password 123', null, new Date())
      await booted.services.db.kysely.insertInto('mails').values([mail('two days old', 2), mail('an hour old', 1 / 24)]).execute()
    } finally {
      await booted.close()
    }

    const running = (await runCli(['start', '--data', place.data, '--port', String(port), '--public-url', url], {
      env: { ...place.env, AIRLOCK_HOST: '127.0.0.1', LOG_LEVEL: 'silent', AIRLOCK_DATA_RETENTION_DAYS: '1' },
      stdout: { write: () => true },
    })) as Running
    try {
      const browser = new Browser(url)
      await browser.get('/admin/login')
      expect((await browser.post('/admin/login', { email: 'root@example.com', password: 'admin password 123' })).status).toBe(303)
      for (let tries = 0; tries < 100; tries++) {
        expect((await browser.get(`/admin/realms/${realmId}/mail`)).status).toBe(200)
        if (!browser.lastHtml.includes('two days old')) break
        await new Promise((r) => setTimeout(r, 50))
      }
      expect(browser.lastHtml).not.toContain('two days old')
      expect(browser.lastHtml).toContain('an hour old')
    } finally {
      await running.stop()
    }
  })
})

describe('AIRLOCK_DATA_RETENTION_DAYS', () => {
  it('defaults to 30 days and refuses anything but 1 to 3650 days, naming the setting', () => {
    expect(loadConfig({ env: {} }).dataRetentionDays).toBe(30)
    expect(loadConfig({ env: { AIRLOCK_DATA_RETENTION_DAYS: '7' } }).dataRetentionDays).toBe(7)
    for (const days of ['0', '3651', 'month', '-1', '1.5']) {
      expect(() => loadConfig({ env: { AIRLOCK_DATA_RETENTION_DAYS: days } })).toThrow(
        `AIRLOCK_DATA_RETENTION_DAYS must be a number of days from 1 to 3650 (got ${JSON.stringify(days)})`,
      )
    }
  })
})
