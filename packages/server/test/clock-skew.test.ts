import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { boot, type Booted } from '../src/bootstrap.js'
import { loadConfig } from '../src/config/load.js'
import { applyAssignments } from '../src/domain/realm.js'
import { updateRealmSettings } from '../src/services/realms.js'
import { signUp } from './support/accounts.js'
import { claimsOf } from './support/browser.js'
import { DIALECTS } from './support/dialects.js'
import { startServer, type TestServer } from './support/server.js'

const HOUR = 3_600_000

for (const dialect of DIALECTS) {
  /**
   * Issue 12, item 7: a server whose clock is behind the time its realm's key signs from found no key to sign
   * with: 500 on signup, after the user was created.
   */
  describe(`a server whose clock is behind another's, on one database (${dialect})`, () => {
    let server: TestServer
    let ahead: Booted
    const logged: Record<string, unknown>[] = []

    beforeAll(async () => {
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString().split('\n').filter(Boolean)) logged.push(JSON.parse(line) as Record<string, unknown>)
          done()
        },
      })
      server = await startServer({ dialect, settings: ['login_urls=http://localhost:3000'], logger: pino({ level: 'warn' }, sink) })
      // A second process on the same database (same secret), whose clock is two hours ahead.
      ahead = await boot(loadConfig({ data: server.dataDir, env: { LOG_LEVEL: 'silent', ...(server.databaseUrl ? { DATABASE_URL: server.databaseUrl } : {}) } }), pino({ level: 'silent' }))
    })
    afterAll(async () => {
      await ahead.close()
      await server.close()
    })

    it('signs with the newest published key when no key has started signing by its clock (303 with a token, not 500), and logs the skew once', async () => {
      // The process ahead switches the realm to HS256: the realm's only HS256 key signs from its (future) now.
      const realm = (await ahead.services.realms.byId(server.booted.realm.id))!
      await updateRealmSettings(ahead.services, realm, applyAssignments(realm.settings, ['jwt_algo=hs256']), { actor: { kind: 'cli' }, changed: ['jwt_algo'] }, new Date(Date.now() + 2 * HOUR))
      await new Promise((resolve) => setTimeout(resolve, 1100)) // the server's key cache

      const first = await signUp(server, `behind-1-${dialect}@example.com`)
      const second = await signUp(server, `behind-2-${dialect}@example.com`)
      const [key] = (await ahead.services.db.kysely.selectFrom('signing_keys').select(['id', 'signs_from']).where('alg', '=', 'HS256').execute())
      for (const token of [first.token, second.token]) {
        const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())
        expect(header).toMatchObject({ alg: 'HS256', kid: key!.id })
        expect(claimsOf(token).iat * 1000).toBeLessThan(Date.now() + 60_000)
      }
      const renewed = await fetch(`${server.url}/connect/renew`, { method: 'POST', headers: { authorization: `Bearer ${first.token}` } })
      expect(renewed.status).toBe(200)

      const skew = logged.filter((line) => String(line.msg).startsWith('clock skew'))
      expect(skew).toHaveLength(1)
      expect(skew[0]).toMatchObject({ level: 40, kid: key!.id, realm: realm.id })
      expect(skew[0]!.aheadSeconds).toBeGreaterThan(7000)
    })
  })
}
