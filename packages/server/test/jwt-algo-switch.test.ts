import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SETTING_NAMES } from '../src/domain/realm.js'
import { settingText } from '../src/views/pages/admin-realms.js'
import { APP, signUp } from './support/accounts.js'
import { cli } from './support/cli.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { readJson } from './support/json.js'
import { startServer, type TestServer } from './support/server.js'

const ADMIN = 'algo-admin@example.com'
const ADMIN_PASSWORD = 'admin password 123'

/**
 * Issue 10, item 12: `airlock realm settings jwt_algo=hs256` on a realm other than the default left it without an
 * HS256 key, and every login there answered 500. Whoever changes `jwt_algo` now gives the realm a key of it first.
 */
describe.each(DIALECTS)('switching a realm’s token algorithm on %s', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startServer({ dialect, trustProxy: true, settings: [`login_urls=${APP}`] })
  })
  afterAll(() => server.close())

  const env = () => (server.databaseUrl ? { DATABASE_URL: server.databaseUrl } : {})
  /** The real CLI over the running server's database (and its master key file). */
  const run = async (...args: string[]) => JSON.parse(await cli([...args, '--data', server.dataDir], env()))

  /** A second realm served at its own host, made by the CLI. */
  async function secondRealm(host: string): Promise<{ id: string; headers: Record<string, string> }> {
    const created = await run('realm', 'create', '--name', `Realm ${host}`, '--loginrocket-url', `http://${host}`)
    await run('realm', 'settings', '--realm', created.realm_id, `login_urls=${APP}`)
    return { id: created.realm_id, headers: { 'x-forwarded-host': host } }
  }

  /** The realm's key as an app configures it (AUTHROCKET_JWT_KEY). */
  async function appKey(realmId: string): Promise<string> {
    const { services } = server.booted
    return services.keys.appKey((await services.realms.byId(realmId))!, services.clock())
  }

  async function expectHs256(realmId: string, token: string, host: string) {
    expect(decodeProtectedHeader(token).alg).toBe('HS256')
    const secret = await appKey(realmId)
    expect(secret).toMatch(/^jsk_/)
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'], issuer: `http://${host}` })
    expect(payload.rid).toBe(realmId)
  }

  async function expectRs256(realmId: string, token: string, host: string) {
    expect(decodeProtectedHeader(token).alg).toBe('RS256')
    const jwks = await readJson(await fetch(`${server.url}/connect/jwks`, { headers: { 'x-forwarded-host': host } }))
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ['RS256'], issuer: `http://${host}` })
    expect(payload.rid).toBe(realmId)
  }

  it('a second realm switched to hs256 by the CLI signs its logins with HS256 at once, and rs256 again after switching back', async () => {
    const host = 'login.cli-algo.test'
    const realm = await secondRealm(host)

    expect((await run('realm', 'settings', '--realm', realm.id, 'jwt_algo=hs256')).jwt_algo).toBe('hs256')
    const hs = await signUp(server, 'cli-hs256@example.com', {}, realm.headers)
    await expectHs256(realm.id, hs.token, host)
    const secret = await appKey(realm.id)

    expect((await run('realm', 'settings', '--realm', realm.id, 'jwt_algo=rs256')).jwt_algo).toBe('rs256')
    const rs = await signUp(server, 'cli-rs256@example.com', {}, realm.headers)
    await expectRs256(realm.id, rs.token, host)

    // And over again: the HS256 key made the first time is still the realm's.
    await run('realm', 'settings', '--realm', realm.id, 'jwt_algo=hs256')
    const again = await signUp(server, 'cli-hs256-again@example.com', {}, realm.headers)
    await expectHs256(realm.id, again.token, host)
    expect(await appKey(realm.id)).toBe(secret)
  })

  it('a realm left without a key of its jwt_algo (by an older version) gets one at the next start or CLI command', async () => {
    const host = 'login.repaired-algo.test'
    const realm = await secondRealm(host)
    const { services } = server.booted
    const before = (await services.realms.byId(realm.id))!
    // What `realm settings jwt_algo=hs256` used to do: the setting without the key.
    await services.realms.updateSettings(realm.id, { ...before.settings, jwt_algo: 'hs256' }, services.clock())
    await run('realm', 'settings', '--realm', realm.id)
    const hs = await signUp(server, 'repaired-hs256@example.com', {}, realm.headers)
    await expectHs256(realm.id, hs.token, host)
  })

  it('a second realm switched to hs256 in the admin portal’s settings editor signs its logins with HS256', async () => {
    const host = 'login.portal-algo.test'
    const realm = await secondRealm(host)
    const { services } = server.booted
    await services.admins.create(ADMIN, ADMIN_PASSWORD, null, services.clock())
    const admin = new Client(server)
    await admin.get('/admin/login')
    expect((await admin.post('/admin/login', { email: ADMIN, password: ADMIN_PASSWORD })).status).toBe(303)

    const settingsPage = `/admin/realms/${realm.id}/settings`
    await admin.get(settingsPage)
    const current = (await services.realms.byId(realm.id))!.settings
    const form = Object.fromEntries(SETTING_NAMES.map((name) => [name, settingText(current[name])]))
    const saved = await admin.post(settingsPage, { ...form, jwt_algo: 'hs256' })
    expect(saved.status).toBe(303)

    const hs = await signUp(server, 'portal-hs256@example.com', {}, realm.headers)
    await expectHs256(realm.id, hs.token, host)
  })
})
