import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../src/crypto/ids.js'
import { Browser, claimsOf, tokenFrom } from './support/browser.js'
import { DIALECTS } from './support/dialects.js'
import { readJson } from './support/json.js'
import { startServer, type TestServer } from './support/server.js'

const APP = 'http://localhost:3000'
const back = `redirect_uri=${encodeURIComponent(APP)}`

describe.each(DIALECTS)('accounts (orgs) on %s', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startServer({ dialect, settings: [`login_urls=${APP}`, 'email_verification=none'] })
  })
  afterAll(() => server.close())

  async function signup(fields: Record<string, string>, query = back) {
    const browser = new Browser(server.url)
    await browser.get(`/signup?${query}`)
    const res = await browser.post(`/signup?${query}`, { password: 'correct horse battery', first_name: 'Dave', last_name: 'Smith', ...fields })
    return { browser, res }
  }

  const services = () => server.booted.services
  const realm = async () => (await services().realms.byId(server.booted.realm.id))!

  it('single-user mode: signup makes the personal account, named after the user, selected in the token with ar:owner', async () => {
    const { res } = await signup({ email: 'single@example.com' })
    const [org, ...more] = claimsOf(tokenFrom(res)).orgs
    expect(more).toEqual([])
    expect(org).toMatchObject({ name: 'Dave Smith', perm: ['ar:owner'], selected: true })
    expect(org.oid).toMatch(/^org_/)
    expect(org.mid).toMatch(/^mb_/)
  })

  it('single-user mode: a user without an account (from before the mode was set) gets one at their next token', async () => {
    const { browser } = await signup({ email: 'legacy@example.com' })
    const user = (await services().users.byEmail(await realm(), 'legacy@example.com'))!
    await services().db.kysely.deleteFrom('memberships').where('user_id', '=', user.id).execute()
    const res = await browser.get(`/login?${back}`)
    expect(claimsOf(tokenFrom(res)).orgs[0]).toMatchObject({ name: 'Dave Smith', perm: ['ar:owner'] })
  })

  it('new owners get the realm’s new_owner_permissions besides ar:owner', async () => {
    await server.settings('permissions=site:admin,forum:moderator', 'new_owner_permissions=site:admin')
    try {
      const { res } = await signup({ email: 'owner-perms@example.com' })
      expect(claimsOf(tokenFrom(res)).orgs[0].perm).toEqual(['ar:owner', 'site:admin'])
    } finally {
      await server.settings('new_owner_permissions=')
    }
  })

  describe('multi-user mode', () => {
    beforeAll(() => server.settings('org_mode=multi_user', 'org_name_field=required'))
    afterAll(() => server.settings('org_mode=single_user', 'org_name_field=optional'))

    it('signup asks for the account name and creates that account', async () => {
      const { res } = await signup({ email: 'multi@example.com', account_name: 'Widgets, Inc.' })
      expect(claimsOf(tokenFrom(res)).orgs[0]).toMatchObject({ name: 'Widgets, Inc.', perm: ['ar:owner'] })
    })

    it('refuses a signup without the required account name, creating nothing', async () => {
      const { res } = await signup({ email: 'noname@example.com' })
      expect(res.status).toBe(422)
      expect(await res.text()).toMatch(/id="account_name-error">Enter your account name/)
      expect(await services().users.byEmail(await realm(), 'noname@example.com')).toBeNull()
    })

    it('users create more accounts and switch between them; the token carries only the chosen one', async () => {
      const { browser, res } = await signup({ email: 'switch@example.com', account_name: 'First' })
      const first = claimsOf(tokenFrom(res)).orgs[0]
      await browser.get(`/accounts?${back}`)
      const created = await browser.post(`/accounts/new?${back}`, { account_name: 'Second' })
      const second = claimsOf(tokenFrom(created)).orgs
      expect(second).toHaveLength(1)
      expect(second[0]).toMatchObject({ name: 'Second', selected: true })

      const list = await browser.get(`/accounts?force=1&${back}`)
      expect(list.status).toBe(200)
      expect(browser.lastHtml).toContain('First')
      expect(browser.lastHtml).toMatch(/Second<span class="badge"> \(current\)/)
      const chosen = await browser.post(`/accounts/choose?${back}`, { org_id: first.oid })
      expect(claimsOf(tokenFrom(chosen)).orgs).toEqual([first])

      // The choice sticks: the next login (and renewal) carries it.
      const again = await browser.get(`/login?${back}`)
      expect(claimsOf(tokenFrom(again)).orgs[0].oid).toBe(first.oid)
      const renewed = await fetch(`${server.url}/connect/renew`, { method: 'POST', headers: { authorization: `Bearer ${tokenFrom(again)}` } })
      expect(claimsOf((await readJson(renewed)).token).orgs[0].oid).toBe(first.oid)

      // account= on /login preselects.
      const pre = await browser.get(`/login?${back}&account=${second[0].oid}`)
      expect(claimsOf(tokenFrom(pre)).orgs[0].oid).toBe(second[0].oid)
    })

    it("cannot choose an account the user doesn't belong to", async () => {
      const { res: other } = await signup({ email: 'stranger@example.com', account_name: 'Theirs' })
      const theirs = claimsOf(tokenFrom(other)).orgs[0].oid
      const { browser } = await signup({ email: 'intruder@example.com', account_name: 'Mine' })
      await browser.get('/accounts')
      const res = await browser.post(`/accounts/choose?${back}`, { org_id: theirs })
      expect(res.status).toBe(403)
      const pre = await browser.get(`/login?${back}&account=${theirs}`)
      expect(claimsOf(tokenFrom(pre)).orgs[0].name).toBe('Mine')
    })

    it('with one account, /accounts sends the browser straight back unless force=1', async () => {
      const { browser } = await signup({ email: 'one@example.com', account_name: 'Only' })
      const res = await browser.get(`/accounts?${back}`)
      expect(res.status).toBe(303)
      expect(claimsOf(tokenFrom(res)).orgs[0].name).toBe('Only')
      expect((await browser.get(`/accounts?force=1&${back}`)).status).toBe(200)
    })
  })

  it('/accounts asks a logged-out browser to log in first, then comes back', async () => {
    const res = await new Browser(server.url).get(`/accounts?${back}`)
    expect(res.status).toBe(303)
    const location = new URL(res.headers.get('location')!, server.url)
    expect(location.pathname).toBe('/login')
    expect(location.searchParams.get('return_to')).toBe(`/accounts?${back}`)
  })

  it('keeps the token under 2 KB for a user with 200 memberships (only the selected one is in it)', async () => {
    const { browser } = await signup({ email: 'many@example.com' })
    const r = await realm()
    const user = (await services().users.byEmail(r, 'many@example.com'))!
    const repo = services().db.kysely
    const now = new Date().toISOString()
    for (let i = 0; i < 200; i++) {
      const org = newId('org')
      await repo.insertInto('orgs').values({ id: org, realm_id: r.id, name: `Account number ${i} with a long-ish name`, state: 'active', reference: null, custom: '{}', created_at: now, updated_at: now }).execute()
      await repo.insertInto('memberships').values({ id: newId('mb'), realm_id: r.id, org_id: org, user_id: user.id, permissions: JSON.stringify(['ar:admin', 'site:admin', 'forum:moderator']), selected: 0, created_at: now, updated_at: now }).execute()
    }
    const token = tokenFrom(await browser.get(`/login?${back}`))
    expect(token.length).toBeLessThan(2048)
    expect(claimsOf(token).orgs).toHaveLength(1)
  })
})
