import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../src/cli/run.js'
import { createRealm } from '../src/services/realms.js'
import { applyAssignments } from '../src/domain/realm.js'
import { APP, signUp } from './support/accounts.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { startServer, type TestServer } from './support/server.js'

const EMAIL = 'integrator@example.com'
const PASSWORD = 'admin password 123'

/** What a page shows: the text of its HTML, tags dropped and entities decoded (so `&#39;` compares as `'`). */
function textOf(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
}

/** The text of the `<pre id="...">` on the page. */
function pre(html: string, id: string): string | undefined {
  const found = new RegExp(`<pre id="${id}"[^>]*>([\\s\\S]*?)</pre>`).exec(html)?.[1]
  return found === undefined ? undefined : textOf(found)
}

describe.each(DIALECTS)('the admin Integration page on %s', (dialect) => {
  let server: TestServer
  let summary: { realm_id: string; loginrocket_url: string; jwt_key: string; admin_setup_url: string }
  let admin: Client

  beforeAll(async () => {
    server = await startServer({ dialect, trustProxy: true, settings: [`login_urls=${APP}`] })
    // `airlock init --json` on the server's data: the values an operator is told, and the first admin's link.
    let out = ''
    await runCli(['init', '--json', '--data', server.dataDir, '--public-url', server.url], {
      env: { LOG_LEVEL: 'silent', ...(server.databaseUrl ? { DATABASE_URL: server.databaseUrl } : {}) },
      stdout: { write: (text: string) => (out += text) },
    })
    summary = JSON.parse(out)
    admin = new Client(server)
    const setup = new URL(summary.admin_setup_url)
    await admin.get(`${setup.pathname}${setup.search}`)
    const res = await admin.post('/admin/setup', { token: setup.searchParams.get('token')!, email: EMAIL, password: PASSWORD, confirm: PASSWORD })
    expect(res.status).toBe(303)
  })
  afterAll(() => server.close())

  const services = () => server.booted.services
  const pagePath = (realmId: string) => `/admin/realms/${realmId}/integration`

  it('is linked from the admin home next to each realm', async () => {
    await admin.get('/admin')
    expect(admin.browser.lastHtml).toContain(`href="${pagePath(summary.realm_id)}"`)
  })

  it('shows the LOGINROCKET_URL and JWT key init printed, and the guide’s snippets filled in with them', async () => {
    const res = await admin.get(pagePath(summary.realm_id))
    expect(res.status).toBe(200)
    const html = admin.browser.lastHtml
    expect(pre(html, 'loginrocket-url')).toBe(summary.loginrocket_url)
    expect(pre(html, 'jwt-key')).toBe(summary.jwt_key)
    const env = pre(html, 'env-snippet')!
    expect(env).toContain(`LOGINROCKET_URL=${summary.loginrocket_url}\n`)
    expect(env).toMatch(new RegExp(`AUTHROCKET_JWT_KEY=${summary.jwt_key.replace(/[+/]/g, '\\$&')}\\s+# optional`))
    const direct = pre(html, 'direct-snippet')!
    expect(direct).toContain("require('@airlock/express')")
    expect(direct.replace(/\s+/g, ' ')).toContain(`app.use(arMiddleware({ authrocket: { loginrocketUrl: '${summary.loginrocket_url}' } }))`)
    // Copy buttons for each, shown by the portal's own script, which the portal's CSP (and only it) allows.
    expect(html).toContain('<script src="/assets/admin.js" defer=""></script>')
    expect(html).toContain('data-copy="env-snippet"')
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
    const script = await fetch(`${server.url}/assets/admin.js`)
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toMatch(/javascript/)
    expect(await script.text()).toContain('clipboard')
    const hosted = await new Client(server).get('/login')
    expect(hosted.headers.get('content-security-policy')).not.toContain('script-src')
  })

  it('keeps an HS256 secret out of the page until it is revealed', async () => {
    const realm = await createRealm(services(), 'Shared secret', 'http://login.hs256.test', { kind: 'cli' })
    await services().realms.updateSettings(realm.id, applyAssignments(realm.settings, ['jwt_algo=hs256']), services().clock())
    const secret = await services().keys.appKey((await services().realms.byId(realm.id))!, services().clock()).catch(() => null)

    const res = await admin.get(pagePath(realm.id))
    expect(res.status).toBe(200)
    const hidden = admin.browser.lastHtml
    const key = secret ?? (await services().keys.appKey((await services().realms.byId(realm.id))!, services().clock()))
    expect(key).toMatch(/^jsk_/)
    expect(hidden).not.toContain(key)
    expect(textOf(hidden)).toContain('Reveal the secret')
    expect(pre(hidden, 'loginrocket-url')).toBe('http://login.hs256.test')
    expect(pre(hidden, 'env-snippet')).toMatch(/AUTHROCKET_JWT_KEY=.*# required/)

    expect((await admin.get(`${pagePath(realm.id)}?reveal=1`)).status).toBe(200)
    const shown = admin.browser.lastHtml
    expect(pre(shown, 'jwt-key')).toBe(key)
    expect(pre(shown, 'env-snippet')).toContain(`AUTHROCKET_JWT_KEY=${key}`)
    // Never in the direct configuration, which goes into git.
    expect(pre(shown, 'direct-snippet')).not.toContain(key)
  })

  it('adds a Login URL, and refuses a bad one with the error next to the field', async () => {
    const realmId = summary.realm_id
    await admin.get(pagePath(realmId))
    const res = await admin.post(`${pagePath(realmId)}/login-urls`, { login_url: 'http://127.0.0.1:3999/' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`${pagePath(realmId)}?added=${encodeURIComponent('http://127.0.0.1:3999/')}`)
    const urls = [`${APP}/`, 'http://127.0.0.1:3999/']
    expect((await services().realms.byId(realmId))!.settings.login_urls).toEqual(urls)
    await admin.get(res.headers.get('location')!)
    expect(textOf(admin.browser.lastHtml)).toContain('Added http://127.0.0.1:3999/.')

    // The same again changes nothing.
    await admin.post(`${pagePath(realmId)}/login-urls`, { login_url: 'http://127.0.0.1:3999' })
    expect((await services().realms.byId(realmId))!.settings.login_urls).toEqual(urls)

    for (const [bad, message] of [
      ['not a url', 'is not an absolute URL'],
      ['javascript:alert(1)', 'must be http or https'],
      ['https://app.example.com/?next=<b>', 'must not have credentials, a query or a fragment'],
      ['', 'Enter your app’s URL'],
    ]) {
      const refused = await admin.post(`${pagePath(realmId)}/login-urls`, { login_url: bad! })
      expect(refused.status, bad).toBe(422)
      const html = admin.browser.lastHtml
      expect(/<p class="error" id="login_url-error">([^<]*)<\/p>/.exec(html)?.[1], bad).toContain(message!.replace(/'/g, '&#39;'))
      expect(html, bad).toContain('aria-invalid="true"')
      expect(html, bad).not.toContain('<b>')
    }
    expect((await services().realms.byId(realmId))!.settings.login_urls).toEqual(urls)
  })

  it('refuses anonymous browsers, realm users, and forms without the CSRF token', async () => {
    const anonymous = new Client(server)
    const user = await signUp(server, `integration-user-${dialect}@example.com`)
    for (const client of [anonymous, user.client]) {
      const page = await client.get(pagePath(summary.realm_id))
      expect(page.status).toBe(303)
      expect(page.headers.get('location')).toBe('/admin/login')
      expect(client.browser.lastHtml).not.toContain(summary.jwt_key)
      await client.get('/admin/login')
      const post = await client.post(`${pagePath(summary.realm_id)}/login-urls`, { login_url: 'https://evil.example.com' })
      expect(post.status).toBe(303)
      expect(post.headers.get('location')).toBe('/admin/login')
    }
    await admin.get(pagePath(summary.realm_id))
    expect((await admin.post(`${pagePath(summary.realm_id)}/login-urls`, { login_url: 'https://evil.example.com', csrf: '' })).status).toBe(403)
    expect((await services().realms.byId(summary.realm_id))!.settings.login_urls).not.toContain('https://evil.example.com/')
    // An unknown realm is not found, for an admin.
    expect((await admin.get(pagePath('rlm_nope'))).status).toBe(404)
  })
})
