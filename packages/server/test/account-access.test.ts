import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRealm } from '../src/services/realms.js'
import { applyAssignments } from '../src/domain/realm.js'
import { APP, addMember, confirmEmail, signUp, type Person } from './support/accounts.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { settle } from './support/mail-catcher.js'
import { startServer, type TestServer } from './support/server.js'

const SETTINGS = [`login_urls=${APP}`, 'email_verification=none', 'org_mode=multi_user', 'permissions=site:admin,forum:moderator']
/** Requests for the second realm name its host; the test server trusts X-Forwarded-Host. */
const OTHER_HOST = 'login.other.test'
const OTHER = { 'x-forwarded-host': OTHER_HOST }

type Route = [method: 'GET' | 'POST', path: string, fields: Record<string, string | string[]>]

describe.each(DIALECTS)('who may see and change an account, on %s', (dialect) => {
  let server: TestServer
  /** Account X: an owner, an admin, a plain member, and an open invitation. */
  let x: { owner: Person; admin: Person; member: Person; orgId: string; memberMb: string; invitationId: string }
  /** Someone logged in who manages another account (Y) and is no member of X. */
  let outsider: Person

  beforeAll(async () => {
    server = await startServer({ dialect, trustProxy: true, settings: SETTINGS })
    const owner = await signUp(server, 'x-owner@example.com', { account_name: 'X' })
    const admin = await signUp(server, 'x-admin@example.com')
    const member = await signUp(server, 'x-member@example.com')
    // Managers who may invite: their addresses are confirmed.
    await confirmEmail(server, owner)
    await confirmEmail(server, admin)
    await addMember(server, owner.orgId, admin.userId, ['ar:admin'])
    const memberMb = await addMember(server, owner.orgId, member.userId, ['forum:moderator'])
    await owner.client.get(`/accounts/${owner.orgId}`)
    expect((await owner.client.post(`/accounts/${owner.orgId}/invitations`, { email: 'x-invitee@example.com' })).status).toBe(303)
    const invitation = await db().selectFrom('invitations').select('id').where('org_id', '=', owner.orgId).executeTakeFirstOrThrow()
    x = { owner, admin, member, orgId: owner.orgId, memberMb, invitationId: invitation.id }
    outsider = await signUp(server, 'outsider@example.com', { account_name: 'Y' })
    await confirmEmail(server, outsider)
  })
  afterAll(() => server.close())

  const db = () => server.booted.services.db.kysely

  /** Every route of an account's page, with a form that would change something if it were allowed. */
  const routes = (orgId: string, memberMb: string, invitationId: string): Route[] => [
    ['GET', `/accounts/${orgId}`, {}],
    ['POST', `/accounts/${orgId}/name`, { account_name: 'Taken over' }],
    ['POST', `/accounts/${orgId}/members/${memberMb}/permissions`, { 'permissions[]': ['ar:owner'] }],
    ['POST', `/accounts/${orgId}/members/${memberMb}/remove`, {}],
    ['POST', `/accounts/${orgId}/invitations`, { email: 'intruder@example.com', 'permissions[]': ['ar:owner'] }],
    ['POST', `/accounts/${orgId}/invitations/${invitationId}/resend`, {}],
    ['POST', `/accounts/${orgId}/invitations/${invitationId}/revoke`, {}],
    ['POST', `/accounts/${orgId}/leave`, {}],
    ['POST', `/accounts/${orgId}/close`, { confirm: 'yes' }],
  ]
  const xRoutes = () => routes(x.orgId, x.memberMb, x.invitationId)

  /** Everything a route could change: accounts, memberships, invitations, mails. */
  async function snapshot() {
    await settle(50)
    return {
      orgs: await db().selectFrom('orgs').select(['id', 'name', 'state']).orderBy('id').execute(),
      memberships: await db().selectFrom('memberships').select(['id', 'org_id', 'user_id', 'permissions']).orderBy('id').execute(),
      invitations: await db().selectFrom('invitations').select(['id', 'token_hash', 'accepted_at', 'revoked_at', 'expires_at']).orderBy('id').execute(),
      mails: Number((await db().selectFrom('mails').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
    }
  }

  async function send(client: Client, [method, path, fields]: Route, headers: Record<string, string> = {}): Promise<Response> {
    return method === 'GET' ? client.get(path, headers) : client.post(path, fields, headers)
  }

  it('a logged-in non-member (the manager of another account) gets 403 on every route, and nothing changes', async () => {
    const before = await snapshot()
    await outsider.client.get(`/accounts/${outsider.orgId}`)
    for (const route of xRoutes()) {
      const res = await send(outsider.client, route)
      expect(res.status, route[1]).toBe(403)
      expect(await res.text()).toContain('You are not a member of this account.')
    }
    expect(await snapshot()).toEqual(before)
  })

  it('a plain member sees the page but every management route is refused (403), and nothing changes', async () => {
    const before = await snapshot()
    for (const route of xRoutes().filter(([, path]) => !path.endsWith('/leave'))) {
      const res = await send(x.member.client, route)
      if (route[0] === 'GET') {
        expect(res.status).toBe(200)
        continue
      }
      expect(res.status, route[1]).toBe(403)
      expect(await res.text()).toMatch(/Only the account’s owners (and admins )?can do that\./)
    }
    expect(await snapshot()).toEqual(before)
  })

  it('ids of one account can’t be reached through another: a manager of Y gets 404 for X’s members and invitations', async () => {
    const before = await snapshot()
    await outsider.client.get(`/accounts/${outsider.orgId}`)
    const crossed = routes(outsider.orgId, x.memberMb, x.invitationId).filter(([, path]) => /members|invitations\/nvt/.test(path))
    expect(crossed).toHaveLength(4)
    for (const route of crossed) expect((await send(outsider.client, route)).status, route[1]).toBe(404)
    expect(await snapshot()).toEqual(before)
  })

  it('unknown and closed accounts don’t exist here (404), even for their former owner', async () => {
    const closed = await signUp(server, 'closer@example.com', { account_name: 'Z' })
    await closed.client.get(`/accounts/${closed.orgId}`)
    expect((await closed.client.post(`/accounts/${closed.orgId}/close`, { confirm: 'yes' })).status).toBe(303)
    const before = await snapshot()
    for (const orgId of [closed.orgId, 'org_doesnotexist', 'x'.repeat(5000), encodeURIComponent('org_\u200b')]) {
      for (const route of routes(orgId, closed.membershipId, x.invitationId)) {
        const res = await send(closed.client, route)
        expect(res.status, route[1].slice(0, 80)).toBe(404)
        expect(await res.text()).toContain('There is no account at this address.')
      }
    }
    expect(await snapshot()).toEqual(before)
  })

  it('a logged-out browser is sent to log in on every route, changing nothing', async () => {
    const before = await snapshot()
    const anonymous = new Client(server)
    await anonymous.get('/login')
    for (const route of xRoutes()) {
      const res = await send(anonymous, route)
      expect(res.status, route[1]).toBe(303)
      const location = new URL(res.headers.get('location')!, server.url)
      expect(location.pathname).toBe('/login')
      expect(location.searchParams.get('return_to')).toBe(`/accounts/${x.orgId}`)
    }
    expect(await snapshot()).toEqual(before)
  })

  it('a form without its CSRF token, or with another browser’s, is refused (403) and changes nothing', async () => {
    const before = await snapshot()
    await x.owner.client.get(`/accounts/${x.orgId}`)
    for (const route of xRoutes().filter(([method]) => method === 'POST')) {
      for (const csrf of ['', outsider.client.csrf]) {
        const res = await x.owner.client.post(route[1], { ...route[2], csrf })
        expect(res.status, route[1]).toBe(403)
        expect(await res.text()).toContain('This form has expired. Reload the page and try again.')
      }
    }
    expect(await snapshot()).toEqual(before)
  })

  it('a manager in realm A means nothing in realm B: not their session, not their accounts', async () => {
    const services = server.booted.services
    const other = await createRealm(services, 'Other', `http://${OTHER_HOST}`, { kind: 'cli' })
    await services.realms.updateSettings(other.id, applyAssignments(other.settings, SETTINGS), services.clock())
    const before = await snapshot()

    // Realm A's owner, with realm A's cookies, at realm B: not logged in there.
    for (const route of xRoutes()) {
      const res = await send(x.owner.client, route, OTHER)
      expect(res.status, route[1]).toBe(303)
      expect(new URL(res.headers.get('location')!, server.url).pathname).toBe('/login')
    }
    // With a login of realm B (same address, another user) and an account there: X doesn't exist in B.
    const inB = await signUp(server, x.owner.email, { account_name: 'Q' }, OTHER)
    expect(inB.userId).not.toBe(x.owner.userId)
    await inB.client.get(`/accounts/${inB.orgId}`, OTHER)
    expect(inB.client.browser.lastHtml).toContain('<h1>Q</h1>')
    for (const route of xRoutes()) {
      const res = await send(inB.client, route, OTHER)
      expect(res.status, route[1]).toBe(404)
    }
    // And B's account doesn't exist in A, even for the owner of X.
    await x.owner.client.get(`/accounts/${x.orgId}`)
    for (const route of routes(inB.orgId, inB.membershipId, x.invitationId)) expect((await send(x.owner.client, route)).status, route[1]).toBe(404)
    expect(await snapshot()).toMatchObject({ orgs: expect.arrayContaining(before.orgs), invitations: before.invitations, mails: before.mails })
    expect((await snapshot()).memberships.filter((m) => m.org_id === x.orgId)).toEqual(before.memberships.filter((m) => m.org_id === x.orgId))
  })

  it('bad input gives form errors (input kept) or 404, never a 500', async () => {
    const owner = x.owner.client
    const page = `/accounts/${x.orgId}`
    await owner.get(page)
    const before = await snapshot()
    const formError = async (path: string, fields: Record<string, string | string[]>, message: string) => {
      const res = await owner.post(path, fields)
      expect(res.status, path).toBe(422)
      const html = await res.text()
      expect(html).toContain(message)
      return html
    }
    const long = await formError(`${page}/name`, { account_name: 'n'.repeat(5000) }, 'Your account name can have at most 100 characters.')
    expect(long).toContain(`value="${'n'.repeat(300)}"`)
    await formError(`${page}/name`, { account_name: '' }, 'Enter your account name.')
    await formError(`${page}/name`, { account_name: 'Tab\there' }, 'Your account name contains characters that are not allowed.')
    await formError(`${page}/name`, { account_name: 'Bidi\u202ename' }, 'Your account name contains characters that are not allowed.')
    const perms = `${page}/members/${x.memberMb}/permissions`
    await formError(perms, { 'permissions[]': ['not valid!'] }, '“not valid!” is not a valid permission name.')
    await formError(perms, { 'permissions[]': ['p'.repeat(5000)] }, `“${'p'.repeat(62)}” is not a valid permission name.`)
    await formError(perms, { 'permissions[]': ['unknown:perm'] }, '“unknown:perm” is not one of this app’s permissions.')
    // 150 fits a form (at most 200 fields); more are refused at the door.
    await formError(perms, { 'permissions[]': Array.from({ length: 150 }, (_, i) => `p${i}`) }, 'Choose at most 100 permissions.')
    await formError(`${page}/invitations`, { email: `${'e'.repeat(5000)}@example.com` }, 'An email address has at most 254 characters.')
    await formError(`${page}/invitations`, { email: 'two@@example.com' }, 'Enter an email address like name@example.com.')

    for (const path of [
      `${page}/members/mb_nobody/permissions`,
      `${page}/members/${'m'.repeat(5000)}/remove`,
      `${page}/invitations/nvt_nothing/resend`,
      `${page}/invitations/${'i'.repeat(5000)}/revoke`,
    ]) {
      expect((await owner.post(path, {})).status, path.slice(0, 80)).toBe(404)
    }
    // A NUL byte in the path: refused as unreadable (PostgreSQL can't compare it) or unknown, never a 500.
    expect([400, 404]).toContain((await owner.get(`/accounts/org_%00`)).status)
    // A field sent twice is refused before any route reads it.
    expect((await owner.post(`${page}/name`, { account_name: ['One', 'Two'] })).status).toBe(400)
    expect(await snapshot()).toEqual(before)
  })

  it('invitation mails are limited per user: 50 an hour, refused ones not counted', async () => {
    const busy = await signUp(server, 'busy-inviter@example.com', { account_name: 'Busy' })
    await confirmEmail(server, busy)
    await busy.client.get(`/accounts/${busy.orgId}`)
    for (let i = 0; i < 5; i++) expect((await busy.client.post(`/accounts/${busy.orgId}/invitations`, { email: 'bad' })).status).toBe(422)
    for (let i = 0; i < 50; i++) {
      expect((await busy.client.post(`/accounts/${busy.orgId}/invitations`, { email: `guest${i}@example.com` })).status).toBe(303)
    }
    const limited = await busy.client.post(`/accounts/${busy.orgId}/invitations`, { email: 'one-more@example.com' })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/)
    const invitation = await db().selectFrom('invitations').select('id').where('org_id', '=', busy.orgId).executeTakeFirstOrThrow()
    expect((await busy.client.post(`/accounts/${busy.orgId}/invitations/${invitation.id}/resend`, {})).status).toBe(429)
    // Other forms of the page aren't limited.
    expect((await busy.client.post(`/accounts/${busy.orgId}/name`, { account_name: 'Still busy' })).status).toBe(303)
  })
})
