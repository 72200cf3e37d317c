import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SETTING_NAMES, type RealmSettings, type Realm } from '../src/domain/realm.js'
import { createRealm } from '../src/services/realms.js'
import { settingText } from '../src/views/pages/admin-realms.js'
import { APP, signUp } from './support/accounts.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { readJson } from './support/json.js'
import { startServer, type TestServer } from './support/server.js'

const EMAIL = 'realms-admin@example.com'
const PASSWORD = 'admin password 123'
const EDITED_HOST = 'login.edited.test'

/** Every setting as the editor's form sends it. */
const formOf = (settings: RealmSettings) => Object.fromEntries(SETTING_NAMES.map((name) => [name, settingText(settings[name])]))

describe.each(DIALECTS)('admin portal realms and keys on %s', (dialect) => {
  let server: TestServer
  let edited: Realm

  beforeAll(async () => {
    server = await startServer({ dialect, trustProxy: true, settings: [`login_urls=${APP}`] })
    await services().admins.create(EMAIL, PASSWORD, null, services().clock())
    edited = await createRealm(services(), 'Edited', `http://${EDITED_HOST}`, { kind: 'cli' })
  })
  afterAll(() => server.close())

  const services = () => server.booted.services
  const realmCount = async () => (await services().realms.list()).length
  const settingsOf = async (id: string) => (await services().realms.byId(id))!.settings

  async function admin(): Promise<Client> {
    const client = new Client(server)
    await client.get('/admin/login')
    expect((await client.post('/admin/login', { email: EMAIL, password: PASSWORD })).status).toBe(303)
    return client
  }

  it('lists the realms and links them from the home page and the nav', async () => {
    const client = await admin()
    expect((await client.get('/admin')).status).toBe(200)
    expect(client.browser.lastHtml).toContain('href="/admin/realms"')
    expect(client.browser.lastHtml).toContain(`href="/admin/realms/${edited.id}/settings"`)
    expect((await client.get('/admin/realms')).status).toBe(200)
    const html = client.browser.lastHtml
    expect(html).toContain('<nav class="admin-nav"')
    expect(html).toContain('Edited')
    expect(html).toContain(`http://${EDITED_HOST}`)
    expect(html).toContain(edited.id)
    expect(html).toContain(server.url)
    expect(html).toContain(`href="/admin/realms/${edited.id}/keys"`)
  })

  it('creates a realm, showing the problems next to their fields and creating nothing on error', async () => {
    const client = await admin()
    await client.get('/admin/realms')
    const before = await realmCount()

    const badUrl = await client.post('/admin/realms', { name: 'Shop', loginrocket_url: 'not a url' })
    expect(badUrl.status).toBe(422)
    let html = client.browser.lastHtml
    expect(html).toMatch(/id="loginrocket_url-error">Must be an origin such as https:\/\/login\.example\.com/)
    expect(html).toContain('value="Shop"')
    expect(html).toContain('value="not a url"')
    expect(html).not.toContain('id="name-error"')

    const taken = await client.post('/admin/realms', { name: 'Shop', loginrocket_url: `http://${EDITED_HOST}` })
    expect(taken.status).toBe(422)
    expect(client.browser.lastHtml).toMatch(/id="loginrocket_url-error">Another realm is already served at/)

    const noName = await client.post('/admin/realms', { name: '  ', loginrocket_url: 'https://login.shop.test' })
    expect(noName.status).toBe(422)
    html = client.browser.lastHtml
    expect(html).toMatch(/id="name-error">Must not be empty/)
    expect(await realmCount()).toBe(before)

    const res = await client.post('/admin/realms', { name: 'Shop', loginrocket_url: 'https://login.shop.test/' })
    expect(res.status).toBe(303)
    const location = res.headers.get('location')!
    expect(location).toMatch(/^\/admin\/realms\/rl_[^/]+\/settings$/)
    const id = location.split('/')[3]!
    const shop = (await services().realms.byId(id))!
    expect(shop.name).toBe('Shop')
    expect(services().loginrocketUrlOf(shop)).toBe('https://login.shop.test')
    expect(await realmCount()).toBe(before + 1)
    // It has its key already, and shows up in the list.
    expect((await services().keys.jwks(shop, new Date())).keys).toHaveLength(1)
    await client.get('/admin/realms')
    expect(client.browser.lastHtml).toContain('https://login.shop.test')
  })

  it('edits every setting: a round trip through the form', async () => {
    const client = await admin()
    expect((await client.get(`/admin/realms/${edited.id}/settings`)).status).toBe(200)
    let html = client.browser.lastHtml
    for (const name of SETTING_NAMES) expect(html, name).toContain(`name="${name}"`)
    expect(html).toMatch(/<select[^>]*name="signup"/)
    expect(html).toMatch(/<input[^>]*name="jwt_minutes"[^>]*type="number"/)
    expect(html).toMatch(/<input[^>]*name="color"[^>]*type="color"/)

    const form = {
      ...formOf(edited.settings),
      name: 'Edited Realm',
      signup: 'invitation',
      org_mode: 'multi_user',
      username_field: 'required',
      email_verification: 'required',
      login_urls: 'https://app.example.com/, http://localhost:4000/app',
      jwt_minutes: '30',
      renew_grace_minutes: '90',
      session_minutes: '1440',
      jwt_algo: 'hs256',
      issuer: 'https://issuer.example.com',
      color: '#112233',
      logo_url: 'https://cdn.example.com/logo.png',
      permissions: 'site:admin, forum:moderator',
      new_owner_permissions: 'site:admin',
      new_member_permissions: 'forum:moderator',
    }
    const res = await client.post(`/admin/realms/${edited.id}/settings`, form)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`/admin/realms/${edited.id}/settings?saved=1`)
    const saved = await settingsOf(edited.id)
    expect(saved).toEqual({
      name: 'Edited Realm',
      signup: 'invitation',
      org_mode: 'multi_user',
      name_field: 'optional',
      username_field: 'required',
      org_name_field: 'optional',
      email_verification: 'required',
      login_urls: ['https://app.example.com/', 'http://localhost:4000/app'],
      jwt_minutes: 30,
      renew_grace_minutes: 90,
      session_minutes: 1440,
      jwt_algo: 'hs256',
      issuer: 'https://issuer.example.com',
      color: '#112233',
      logo_url: 'https://cdn.example.com/logo.png',
      permissions: ['site:admin', 'forum:moderator'],
      new_owner_permissions: ['site:admin'],
      new_member_permissions: ['forum:moderator'],
    })
    expect((await services().realms.byId(edited.id))!.name).toBe('Edited Realm')
    // The switch to HS256 gave the realm a key to sign with.
    const realm = (await services().realms.byId(edited.id))!
    expect((await services().keys.signing(realm, new Date())).record.alg).toBe('HS256')

    await client.get(`/admin/realms/${edited.id}/settings?saved=1`)
    html = client.browser.lastHtml
    expect(html).toContain('Settings saved.')
    expect(html).toContain('value="https://app.example.com/, http://localhost:4000/app"')
    expect(html).toContain('value="site:admin, forum:moderator"')
    expect(html).toMatch(/<option value="invitation" selected/)

    // Back to RS256 and empty optional values.
    const back = await client.post(`/admin/realms/${edited.id}/settings`, { ...formOf(saved), jwt_algo: 'rs256', issuer: '', logo_url: '', permissions: '', renew_grace_minutes: '' })
    expect(back.status).toBe(303)
    const after = await settingsOf(edited.id)
    expect(after).toMatchObject({ jwt_algo: 'rs256', issuer: null, logo_url: null, permissions: [], new_owner_permissions: ['site:admin'], renew_grace_minutes: null })
  })

  it('refuses an invalid value, next to its field, keeping the input and changing nothing', async () => {
    const client = await admin()
    await client.get(`/admin/realms/${edited.id}/settings`)
    const before = await settingsOf(edited.id)
    const cases: [string, string, RegExp][] = [
      ['jwt_minutes', '0', /Too small/i],
      ['jwt_minutes', 'soon', /number/i],
      ['renew_grace_minutes', '0', /Too small/i],
      ['renew_grace_minutes', '43201', /Too big/i],
      ['renew_grace_minutes', '1.5', /./],
      ['login_urls', 'https://ok.example.com, ftp://files.example.com', /must be http or https/i],
      ['color', 'blue', /must be a colour like #2456c8/i],
      ['permissions', 'site admin', /permissions are 1 to 62/i],
      ['logo_url', 'javascript:alert(1)', /./],
      ['signup', 'sometimes', /./],
      ['name', '', /must not be empty/i],
    ]
    for (const [name, value, message] of cases) {
      const res = await client.post(`/admin/realms/${edited.id}/settings`, { ...formOf(before), name: 'Changed too', [name]: value })
      expect(res.status, `${name}=${value}`).toBe(422)
      const html = client.browser.lastHtml
      const error = html.match(new RegExp(`id="setting-${name}-error">([^<]*)<`))
      expect(error?.[1], `${name}=${value}`).toMatch(message)
      expect(html).toContain('Nothing was saved')
      if (name !== 'signup') expect(html).toContain(`value="${value.replace(/&/g, '&amp;')}"`)
      expect(await settingsOf(edited.id), `${name}=${value}`).toEqual(before)
    }
  })

  it('lists the live keys and rotates: the JWKS then has two keys', async () => {
    const client = await admin()
    const jwks = async () => readJson(await fetch(`${server.url}/connect/jwks`, { headers: { 'x-forwarded-host': EDITED_HOST } }))
    const realm = (await services().realms.byId(edited.id))!
    const [current] = (await services().keys.list(realm, new Date())).filter((k) => k.alg === 'RS256')
    expect((await jwks()).keys.map((k: { kid: string }) => k.kid)).toEqual([current!.id])

    expect((await client.get(`/admin/realms/${edited.id}/keys`)).status).toBe(200)
    let html = client.browser.lastHtml
    expect(html).toContain(current!.id)
    expect(html).toContain('current, published')
    expect(html).toContain('HS256') // the secret from the HS256 interlude, never published
    expect(html).toContain('not published')

    const res = await client.post(`/admin/realms/${edited.id}/keys/rotate`, {})
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`/admin/realms/${edited.id}/keys?rotated=1`)
    const keys = (await jwks()).keys.map((k: { kid: string }) => k.kid)
    expect(keys).toHaveLength(2)
    expect(keys).toContain(current!.id)

    await client.get(`/admin/realms/${edited.id}/keys?rotated=1`)
    html = client.browser.lastHtml
    expect(html).toContain('A new key is published')
    const fresh = keys.find((kid: string) => kid !== current!.id)!
    expect(html).toContain(fresh)
    // The old key still signs (the new one waits), and now has a retirement time.
    const listed = await services().keys.list(realm, new Date())
    expect(listed.find((k) => k.id === current!.id)).toMatchObject({ current: true, published: true })
    expect(listed.find((k) => k.id === current!.id)!.retireAt).not.toBeNull()
    expect(listed.find((k) => k.id === fresh)).toMatchObject({ current: false, published: true, retireAt: null })
  })

  it('answers not found for an unknown realm', async () => {
    const client = await admin()
    expect((await client.get('/admin/realms/rl_nothing/settings')).status).toBe(404)
    expect((await client.get('/admin/realms/rl_nothing/keys')).status).toBe(404)
    expect((await client.post('/admin/realms/rl_nothing/keys/rotate', {})).status).toBe(404)
  })

  it('refuses anonymous browsers and realm users, changing nothing', async () => {
    const anonymous = new Client(server)
    const user = await signUp(server, 'realms-user@example.com')
    const realms = await realmCount()
    const settings = await settingsOf(edited.id)
    const keys = (await services().keys.list(edited, new Date())).length
    for (const client of [anonymous, user.client]) {
      for (const path of ['/admin/realms', `/admin/realms/${edited.id}/settings`, `/admin/realms/${edited.id}/keys`]) {
        const res = await client.get(path)
        expect(res.status, path).toBe(303)
        expect(res.headers.get('location'), path).toBe('/admin/login')
      }
      await client.get('/admin/login')
      const posts: [string, Record<string, string>][] = [
        ['/admin/realms', { name: 'Sneaky', loginrocket_url: 'https://login.sneaky.test' }],
        [`/admin/realms/${edited.id}/settings`, { ...formOf(settings), name: 'Sneaky' }],
        [`/admin/realms/${edited.id}/keys/rotate`, {}],
      ]
      for (const [path, fields] of posts) {
        const res = await client.post(path, fields)
        expect(res.status, path).toBe(303)
        expect(res.headers.get('location'), path).toBe('/admin/login')
      }
    }
    // An admin's form without the CSRF token is refused too.
    const admin1 = await admin()
    await admin1.get(`/admin/realms/${edited.id}/settings`)
    expect((await admin1.post(`/admin/realms/${edited.id}/keys/rotate`, { csrf: '' })).status).toBe(403)
    expect((await admin1.post(`/admin/realms/${edited.id}/settings`, { ...formOf(settings), name: 'Sneaky', csrf: '' })).status).toBe(403)

    expect(await realmCount()).toBe(realms)
    expect(await settingsOf(edited.id)).toEqual(settings)
    expect((await services().keys.list(edited, new Date())).length).toBe(keys)
  })
})
