import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP, PASSWORD, back, signUp } from './support/accounts.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { startServer, type TestServer } from './support/server.js'

/**
 * A JSON column that doesn't hold what it should (a hand-edited or damaged row) stops the request with an error
 * page, and the log names the column and the row, never quoting the column's text (an app's private data may be
 * in it): no token is issued with permissions missing, no user is read with half their fields.
 */
describe.each(DIALECTS)('a corrupt JSON column on %s', (dialect) => {
  let server: TestServer
  const logged: string[] = []

  beforeAll(async () => {
    const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) })
    server = await startServer({ dialect, trustProxy: true, logger, settings: [`login_urls=${APP}`, 'org_mode=multi_user'] })
  })
  afterAll(() => server?.close())

  const db = () => server.booted.services.db.kysely

  async function logIn(email: string): Promise<Response> {
    const client = new Client(server)
    await client.get(`/login?${back}`)
    return client.post(`/login?${back}`, { email, password: PASSWORD })
  }

  it('a membership whose permissions are not a list of names gives no token, and the log names the column and the row', async () => {
    const person = await signUp(server, `perms-${dialect}@example.com`, { account_name: 'Perms' })
    await db().updateTable('memberships').set({ permissions: '{"private-marker": 1}' }).where('id', '=', person.membershipId).execute()
    const res = await logIn(person.email)
    expect(res.status).toBe(500)
    expect(await res.text()).toContain('Something went wrong')
    expect(res.headers.get('location')).toBeNull()
    const line = logged.find((entry) => entry.includes(`memberships.permissions of row ${person.membershipId} does not hold what it should`))
    expect(line).toBeDefined()
    expect(logged.join('\n')).not.toContain('private-marker')
  })

  it("a user whose custom fields are not JSON can't log in, and the log names the column and the row", async () => {
    const person = await signUp(server, `custom-${dialect}@example.com`, { account_name: 'Custom' })
    await db().updateTable('users').set({ custom: '{"private-marker": ' }).where('id', '=', person.userId).execute()
    const res = await logIn(person.email)
    expect(res.status).toBe(500)
    expect(res.headers.get('location')).toBeNull()
    expect(logged.some((entry) => entry.includes(`users.custom of row ${person.userId} is not valid JSON`))).toBe(true)
    expect(logged.join('\n')).not.toContain('private-marker')
  })

  it("a realm whose settings are out of range answers an error page, and the log names the column and the realm", async () => {
    const realmId = server.booted.realm.id
    const { settings } = await db().selectFrom('realms').select('settings').where('id', '=', realmId).executeTakeFirstOrThrow()
    await db().updateTable('realms').set({ settings: JSON.stringify({ ...JSON.parse(settings), jwt_minutes: 0 }) }).where('id', '=', realmId).execute()
    try {
      const res = await new Client(server).get(`/login?${back}`)
      expect(res.status).toBe(500)
      expect(logged.some((entry) => entry.includes(`realms.settings of row ${realmId} does not hold what it should at jwt_minutes`))).toBe(true)
    } finally {
      await db().updateTable('realms').set({ settings }).where('id', '=', realmId).execute()
    }
    expect((await new Client(server).get(`/login?${back}`)).status).toBe(200)
  })
})
