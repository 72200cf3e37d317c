import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/load.js'
import { secretBox } from '../src/crypto/secret-box.js'
import { openDatabase, type Db } from '../src/db/connect.js'
import { createServices, type Services } from '../src/services/index.js'
import { PUBLISH_AHEAD_MS } from '../src/services/keys.js'
import { signUp } from './support/accounts.js'
import { airlock } from './support/cli.js'
import { claimsOf } from './support/browser.js'
import { DIALECTS, freshPostgres } from './support/dialects.js'
import { freePort, startServer, type TestServer } from './support/server.js'

const secret = () => randomBytes(32).toString('hex')

/** True when something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

const keyRows = async (db: Db) => (await db.kysely.selectFrom('signing_keys').select(['id', 'secret_sealed']).orderBy('id').execute())

/**
 * Issue 12, item 1: a server started with another AIRLOCK_SECRET (or another data folder's key file) answered
 * /healthz 200, its logins 500 after writing a session row, and its renewals 401, which ends a live login.
 */
describe.runIf(DIALECTS.includes('postgres'))('a server without the shared secret, on a PostgreSQL database another process set up', () => {
  let database: { url: string; drop(): Promise<void> }
  let right: string
  let before: { id: string; secret_sealed: string }[]

  beforeAll(async () => {
    database = await freshPostgres()
    right = secret()
    const init = await airlock(['init', '--json', '--data', mkdtempSync(join(tmpdir(), 'airlock-secret-'))], { DATABASE_URL: database.url, AIRLOCK_SECRET: right })
    expect(init.code, init.stderr).toBe(0)
    const db = openDatabase(loadConfig({ env: { DATABASE_URL: database.url } }))
    before = await keyRows(db)
    await db.close()
    expect(before).toHaveLength(1)
  }, 30_000)
  afterAll(async () => {
    await database.drop()
  })

  it('wrong AIRLOCK_SECRET: airlock start refuses to start, naming AIRLOCK_SECRET, exits non-zero and never listens', async () => {
    const port = await freePort()
    const run = await airlock(['start', '--port', String(port), '--data', mkdtempSync(join(tmpdir(), 'airlock-secret-'))], {
      DATABASE_URL: database.url,
      AIRLOCK_SECRET: secret(),
    })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^airlock: AIRLOCK_SECRET is not the secret this database's keys were sealed with/)
    expect(run.stdout).not.toContain('Airlock is running')
    expect(await listening(port)).toBe(false)
  }, 30_000)

  it('another data folder’s key file (no AIRLOCK_SECRET): refuses to start, naming the key file; no key is added under it', async () => {
    const data = mkdtempSync(join(tmpdir(), 'airlock-secret-'))
    const port = await freePort()
    const run = await airlock(['start', '--port', String(port), '--data', data], { DATABASE_URL: database.url })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`The key file ${join(data, 'secret.key')} is not the one this database's keys were sealed with`)
    expect(run.stderr).toContain('AIRLOCK_SECRET')
    expect(await listening(port)).toBe(false)
    const db = openDatabase(loadConfig({ env: { DATABASE_URL: database.url } }))
    expect(await keyRows(db)).toEqual(before)
    await db.close()
  }, 30_000)

  it('the right AIRLOCK_SECRET still starts', async () => {
    const run = await airlock(['init', '--json', '--data', mkdtempSync(join(tmpdir(), 'airlock-secret-'))], { DATABASE_URL: database.url, AIRLOCK_SECRET: right })
    expect(run.code, run.stderr).toBe(0)
  }, 30_000)
})

describe('a SQLite data folder whose secret.key was swapped', () => {
  it('airlock init and airlock start refuse, naming the key file, and exit non-zero', async () => {
    const data = mkdtempSync(join(tmpdir(), 'airlock-secret-'))
    expect((await airlock(['init', '--json', '--data', data], {})).code).toBe(0)
    const keyFile = join(data, 'secret.key')
    const original = readFileSync(keyFile, 'utf8')
    writeFileSync(keyFile, `${randomBytes(32).toString('base64url')}\n`)

    const init = await airlock(['init', '--json', '--data', data], {})
    expect(init.code).toBe(2)
    expect(init.stderr).toContain(`The key file ${keyFile} is not the one this database's keys were sealed with`)
    expect(init.stdout).toBe('')

    const port = await freePort()
    const start = await airlock(['start', '--port', String(port), '--data', data], {})
    expect(start.code).toBe(2)
    expect(start.stderr).toContain(`The key file ${keyFile}`)
    expect(start.stdout).not.toContain('Airlock is running')
    expect(await listening(port)).toBe(false)

    writeFileSync(keyFile, original)
    expect((await airlock(['init', '--json', '--data', data], {})).code).toBe(0)
  }, 60_000)
})

for (const dialect of DIALECTS) {
  /**
   * A key this server can't open (sealed under another secret, by a process of a version that didn't check
   * at start) reaches the database while it runs: renewals must say "try later", never "logged out".
   */
  describe(`renewal that fails on the server's side (${dialect})`, () => {
    let server: TestServer
    let rogue: { db: Db; services: Services }
    const logged: Record<string, unknown>[] = []

    beforeAll(async () => {
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString().split('\n').filter(Boolean)) logged.push(JSON.parse(line) as Record<string, unknown>)
          done()
        },
      })
      server = await startServer({ dialect, settings: ['login_urls=http://localhost:3000'], logger: pino({ level: 'warn' }, sink) })
      const db = openDatabase(loadConfig({ data: server.dataDir, env: server.databaseUrl ? { DATABASE_URL: server.databaseUrl } : {} }))
      rogue = { db, services: createServices({ db, box: secretBox(secret()), logger: pino({ level: 'silent' }), publicUrl: server.url }) }
    })
    afterAll(async () => {
      await rogue.db.close()
      await server.close()
    })

    it('verifying a token needs only the public key; a key the server cannot open answers 503 unavailable with Retry-After, never 401', async () => {
      const person = await signUp(server, `rogue-${dialect}@example.com`)
      const renew = (token: string) => fetch(`${server.url}/connect/renew`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
      expect((await renew(person.token)).status).toBe(200)

      // The other process's key, signing from now on (published long enough ago), sealed under its own secret.
      const realm = (await rogue.services.realms.byId(server.booted.realm.id))!
      await rogue.services.keys.rotate(realm, new Date(Date.now() - PUBLISH_AHEAD_MS))
      await new Promise((resolve) => setTimeout(resolve, 1100)) // the server's key cache
      const session = (await rogue.services.sessions.live(realm, claimsOf(person.token).sid, new Date()))!
      const user = (await rogue.services.users.byId(realm, person.userId))!
      const foreign = await rogue.services.tokens.issue(realm, server.url, user, session, new Date())

      for (const token of [foreign, person.token]) {
        const res = await renew(token)
        expect(res.status).toBe(503)
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
        expect(res.headers.get('www-authenticate')).toBeNull()
        const body = (await res.json()) as { error: string; message: string }
        expect(body.error).toBe('unavailable')
        expect(JSON.stringify(body)).not.toMatch(/sealed|AIRLOCK_SECRET/)
      }
      const failure = logged.find((line) => line.msg === 'token renewal failed on the server side; answered 503')
      expect(failure).toBeDefined()
      expect(JSON.stringify(logged)).not.toContain(person.token.split('.')[2])
      // A token that is bad is still "logged out".
      expect((await renew(`${foreign.slice(0, -4)}AAAA`)).status).toBe(401)
    })
  })
}
