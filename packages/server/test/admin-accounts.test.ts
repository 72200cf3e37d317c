import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Realm } from '../src/domain/realm.js'
import { createRealm } from '../src/services/realms.js'
import { APP, PASSWORD, addMember, back, confirmEmail, membershipsOf, renewedClaims, setPermissionsInDb, signUp, type Person } from './support/accounts.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { startServer, type TestServer } from './support/server.js'

const ADMIN_EMAIL = 'accounts-admin@example.com'
const ADMIN_PASSWORD = 'admin password 123'
const SETTINGS = [`login_urls=${APP}`, 'email_verification=none', 'org_mode=multi_user', 'permissions=site:admin,forum:moderator']

describe.each(DIALECTS)('admin portal accounts on %s', (dialect) => {
  let server: TestServer
  let realm: Realm
  let adminId: string
  /** A single-user realm with one account, which the default realm's pages must not reach. */
  let other: { realm: Realm; orgId: string }

  beforeAll(async () => {
    server = await startServer({ dialect, trustProxy: true, settings: SETTINGS })
    const created = await services().admins.create(ADMIN_EMAIL, ADMIN_PASSWORD, null, services().clock())
    if (!created.ok) throw new Error('admin not created')
    adminId = created.value.id
    realm = (await services().realms.byId(server.booted.realm.id))!
    const otherRealm = await createRealm(services(), 'Other', 'http://login.other-accounts.test', { kind: 'cli' })
    const user = await services().signups.signup(otherRealm, { email: 'elsewhere@example.com', password: PASSWORD, firstName: '', lastName: '', username: '' }, new Date())
    if (!user.ok) throw new Error('user not created')
    const membership = await services().accounts.create(otherRealm, user.value.user, 'Elsewhere', new Date())
    other = { realm: otherRealm, orgId: membership.orgId }
  })
  afterAll(() => server.close())

  const services = () => server.booted.services
  const db = () => services().db.kysely
  let n = 0
  const email = (who: string) => `${who}-${++n}@example.com`
  const list = (query = '') => `/admin/realms/${realm.id}/accounts${query}`
  const page = (orgId: string, rest = '') => `/admin/realms/${realm.id}/accounts/${orgId}${rest}`
  const orgRow = (orgId: string) => db().selectFrom('orgs').selectAll().where('id', '=', orgId).executeTakeFirstOrThrow()
  const latestEvent = async (orgId: string) => (await services().events.list({ realmId: realm.id, orgId, limit: 1 }))[0]
  const eventCount = async (orgId: string) => (await services().events.list({ realmId: realm.id, orgId, limit: 1000 })).length

  async function admin(): Promise<Client> {
    const client = new Client(server)
    await client.get('/admin/login')
    expect((await client.post('/admin/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).status).toBe(303)
    return client
  }

  /** An account with its owner and a member (forum:moderator) whose current account it is. */
  async function team(name = 'Team'): Promise<{ owner: Person; member: Person; orgId: string; memberMb: string }> {
    const owner = await signUp(server, email('owner'), { account_name: name })
    await confirmEmail(server, owner) // so that they may invite
    const member = await signUp(server, email('member'))
    const memberMb = await addMember(server, owner.orgId, member.userId, ['forum:moderator'])
    await member.client.get(`/accounts?${back}`)
    expect((await member.client.post(`/accounts/choose?${back}`, { org_id: owner.orgId })).status).toBe(303)
    return { owner, member, orgId: owner.orgId, memberMb }
  }

  /** More accounts for the list, owned by one user, created `step` ms apart (so "newest first" is certain). */
  async function accounts(names: string[], step = 1000) {
    const { userId } = await signUp(server, email('lister'))
    const user = (await services().users.byId(realm, userId))!
    const start = Date.now() - names.length * step
    const ids: string[] = []
    for (const [i, name] of names.entries()) ids.push((await services().accounts.create(realm, user, name, new Date(start + i * step))).orgId)
    return ids
  }

  /** The list's rows as shown: id, name, state, member count. */
  function rows(html: string) {
    const pattern = new RegExp(`<tr><td><a href="/admin/realms/${realm.id}/accounts/([^"]+)">([^<]*)</a></td><td>([a-z]+)</td><td>(\\d+)</td>`, 'g')
    return [...html.matchAll(pattern)].map((m) => ({ id: m[1]!, name: m[2]!, state: m[3]!, members: Number(m[4]) }))
  }

  it('lists the accounts newest first with their member counts, linked to their pages', async () => {
    const [older, newer] = await accounts(['Wombat Older', 'Wombat Newer'])
    await addMember(server, older!, (await signUp(server, email('wombat'))).userId, [])
    const client = await admin()
    expect((await client.get(list('?q=wombat'))).status).toBe(200)
    const html = client.browser.lastHtml
    expect(html).toContain('aria-current="page">Accounts</a>')
    expect(rows(html)).toEqual([
      { id: newer, name: 'Wombat Newer', state: 'active', members: 1 },
      { id: older, name: 'Wombat Older', state: 'active', members: 2 },
    ])
    expect(html).toContain('2 accounts.')
    expect(html).toMatch(/<th scope="col">Members<\/th>/)
    expect(html).toMatch(/<label for="q">Name contains<\/label><input id="q" name="q" type="search" value="wombat"/)
  })

  it('searches by name in any case, with LIKE wildcards taken literally', async () => {
    const [percent, underscore, upper] = await accounts(['Quokka 100% Ltd', 'quokka_works', 'QUOKKAX'])
    const client = await admin()
    const names = async (q: string) => {
      expect((await client.get(list(`?q=${encodeURIComponent(q)}`))).status).toBe(200)
      return rows(client.browser.lastHtml).map((r) => r.id)
    }
    expect(await names('qUoKkA')).toEqual([upper, underscore, percent])
    expect(await names('%')).toEqual([percent])
    expect(await names('quokka_')).toEqual([underscore])
    expect(await names('0% L')).toEqual([percent])
    expect(await names('quokka%ltd')).toEqual([])
    expect(await names('quokka!')).toEqual([])
    expect(client.browser.lastHtml).toContain('No accounts match.')
  })

  it('filters by state: active, closed or all', async () => {
    const [open, closed] = await accounts(['Numbat Open', 'Numbat Closed'])
    await db().updateTable('orgs').set({ state: 'closed' }).where('id', '=', closed!).execute()
    const client = await admin()
    const shown = async (query: string) => {
      expect((await client.get(list(query))).status).toBe(200)
      return rows(client.browser.lastHtml).map((r) => `${r.id}:${r.state}`)
    }
    expect(await shown('?q=numbat')).toEqual([`${closed}:closed`, `${open}:active`])
    expect(await shown('?q=numbat&state=all')).toEqual([`${closed}:closed`, `${open}:active`])
    expect(await shown('?q=numbat&state=active')).toEqual([`${open}:active`])
    expect(await shown('?q=numbat&state=closed')).toEqual([`${closed}:closed`])
    expect(client.browser.lastHtml).toMatch(/<option value="closed" selected="">Closed<\/option>|<option value="closed" selected>Closed<\/option>/)
  })

  it('pages through the accounts 50 at a time, the links keeping the search and the state', async () => {
    const names = Array.from({ length: 55 }, (_, i) => `Pademelon ${String(i + 1).padStart(2, '0')}`)
    const ids = await accounts(names, 10)
    const newestFirst = [...ids].reverse()
    const client = await admin()

    expect((await client.get(list('?q=pademelon&state=active'))).status).toBe(200)
    let html = client.browser.lastHtml
    expect(rows(html).map((r) => r.id)).toEqual(newestFirst.slice(0, 50))
    expect(html).toContain('55 accounts; showing 1–50.')
    expect(html).toContain('Page 1 of 2')
    expect(html).toContain(`href="/admin/realms/${realm.id}/accounts?q=pademelon&amp;state=active&amp;page=2" rel="next"`)
    expect(html).not.toContain('rel="prev"')

    expect((await client.get(list('?q=pademelon&state=active&page=2'))).status).toBe(200)
    html = client.browser.lastHtml
    expect(rows(html).map((r) => r.id)).toEqual(newestFirst.slice(50))
    expect(html).toContain('55 accounts; showing 51–55.')
    expect(html).toContain(`href="/admin/realms/${realm.id}/accounts?q=pademelon&amp;state=active" rel="prev"`)
    expect(html).not.toContain('rel="next"')

    expect((await client.get(list('?q=pademelon&page=3'))).status).toBe(200)
    expect(rows(client.browser.lastHtml)).toEqual([])
    expect(client.browser.lastHtml).toContain('No accounts on page 3: there are 55.')
  })

  it('answers a bad search with 422, the message next to its field and the text kept', async () => {
    const client = await admin()
    const long = 'x'.repeat(101)
    expect((await client.get(list(`?q=${long}`))).status).toBe(422)
    expect(client.browser.lastHtml).toMatch(/id="q-error">Your search can have at most 100 characters\./)
    expect(client.browser.lastHtml).toContain(`value="${long}"`)
    expect(client.browser.lastHtml).toContain('aria-invalid="true" aria-describedby="q-error"')
    expect((await client.get(list('?q=a%00b'))).status).toBe(422)
    expect(client.browser.lastHtml).toContain('id="q-error">Your search contains characters that are not allowed.')
    expect((await client.get(list('?state=deleted'))).status).toBe(422)
    expect(client.browser.lastHtml).toContain('id="state-error">Choose all, active or closed.')
    for (const bad of ['0', 'abc', '-1', '1.5', '99999999']) {
      expect((await client.get(list(`?page=${bad}`))).status, bad).toBe(422)
      expect(client.browser.lastHtml).toContain('Pages are numbered from 1 to 100000.')
    }
  })

  it('shows an account: name, state, created, members with their permissions and user pages, open invitations, recent events', async () => {
    const { owner, member, orgId, memberMb } = await team('Shown Co')
    await owner.client.get(`/accounts/${orgId}`)
    expect((await owner.client.post(`/accounts/${orgId}/invitations`, { email: 'invitee@example.com', 'permissions[]': ['site:admin'] })).status).toBe(303)
    const invitation = await db().selectFrom('invitations').select('id').where('org_id', '=', orgId).executeTakeFirstOrThrow()
    await services().events.record({ type: 'org.created', realmId: realm.id, orgId, userId: owner.userId, data: { name: 'Shown Co' } }, new Date())
    const created = await orgRow(orgId)

    const client = await admin()
    const res = await client.get(page(orgId))
    expect(res.status).toBe(200)
    const html = client.browser.lastHtml
    expect(html).toContain('Shown Co')
    expect(html).toContain(`<code>${orgId}</code>`)
    expect(html).toContain('<dt>State</dt><dd>active</dd>')
    expect(html).toContain(new Date(created.created_at).toISOString().slice(0, 16).replace('T', ' '))
    expect(html).toContain('Members (2)')
    for (const person of [owner, member]) expect(html).toContain(`<a href="/admin/realms/${realm.id}/users/${person.userId}">${person.email}</a>`)
    // Every permission an owner's form offers, the member's own ticked.
    const memberItem = html.slice(html.indexOf(`id="member-${memberMb}"`))
    const memberForm = memberItem.slice(0, memberItem.indexOf('</li>'))
    for (const value of ['ar:owner', 'ar:admin', 'site:admin', 'forum:moderator']) expect(memberForm).toContain(`name="permissions[]" value="${value}"`)
    expect(memberForm).toMatch(/value="forum:moderator" checked/)
    expect(memberForm).not.toMatch(/value="site:admin" checked/)
    expect(memberForm).toContain(`action="${page(orgId, `/members/${memberMb}/permissions`)}"`)
    expect(memberForm).toContain(`href="${page(orgId, `/members/${memberMb}/remove`)}"`)
    // The open invitation, with its revoke form.
    expect(html).toContain('invitee@example.com')
    expect(html).toContain(`action="${page(orgId, `/invitations/${invitation.id}/revoke`)}"`)
    // The account's events, and the way to all of them.
    expect(html).toContain('<code>org.created</code>')
    expect(html).toContain(`href="/admin/realms/${realm.id}/events?account=${orgId}"`)
    expect(html).toContain(`action="${page(orgId, '/close')}"`)
    expect(html).not.toContain(`action="${page(orgId, '/reopen')}"`)
    // Every input has a label, and ids are unique.
    const ids = [...html.matchAll(/<input[^>]* id="([^"]+)"/g)].map((m) => m[1]!)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(html).toContain(`for="${id}"`)
  })

  it('renames the account: stored, recorded as org.updated by the admin, in the member’s next token', async () => {
    const { member, orgId } = await team('Before Rename')
    const client = await admin()
    await client.get(page(orgId))
    const res = await client.post(page(orgId, '/name'), { account_name: '  After Rename  ' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(page(orgId, '?done=name'))
    expect((await orgRow(orgId)).name).toBe('After Rename')
    expect(await latestEvent(orgId)).toMatchObject({ type: 'org.updated', adminId, data: { changed: ['name'], name: 'After Rename', name_before: 'Before Rename' } })
    expect((await renewedClaims(server, member.token)).orgs[0]).toMatchObject({ oid: orgId, name: 'After Rename' })
    await client.browser.follow(res)
    expect(client.browser.lastHtml).toContain('The account’s name was saved.')
    // The recent events name the admin who made the change.
    expect(client.browser.lastHtml).toContain(`<code>org.updated</code></td><td data-label="User">—</td><td data-label="Admin">${ADMIN_EMAIL}</td>`)
  })

  it('refuses a bad name with 422 next to the field, keeping the input and changing nothing', async () => {
    const { orgId } = await team('Kept Name')
    const client = await admin()
    await client.get(page(orgId))
    const events = await eventCount(orgId)
    for (const [name, message] of [
      ['   ', 'Enter your account name.'],
      ['n'.repeat(101), 'Your account name can have at most 100 characters.'],
      ['bad\u200bname', 'Your account name contains characters that are not allowed.'],
    ] as const) {
      const res = await client.post(page(orgId, '/name'), { account_name: name })
      expect(res.status, name).toBe(422)
      const html = client.browser.lastHtml
      expect(html).toContain(`id="account_name-error">${message}`)
      if (name.trim()) expect(html).toContain(`value="${name}"`)
    }
    expect((await orgRow(orgId)).name).toBe('Kept Name')
    expect(await eventCount(orgId)).toBe(events)
  })

  it('changes a member’s permissions: stored, recorded with before and after, in their next token', async () => {
    const { member, orgId, memberMb } = await team()
    expect((await renewedClaims(server, member.token)).orgs[0]).toMatchObject({ oid: orgId, perm: ['forum:moderator'] })
    const client = await admin()
    await client.get(page(orgId))
    const res = await client.post(page(orgId, `/members/${memberMb}/permissions`), { 'permissions[]': ['site:admin', 'ar:admin'] })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(page(orgId, '?done=permissions'))
    expect((await membershipsOf(server, orgId)).find((m) => m.id === memberMb)!.permissions).toEqual(['ar:admin', 'site:admin'])
    expect(await latestEvent(orgId)).toMatchObject({
      type: 'membership.updated',
      adminId,
      userId: member.userId,
      data: { membership_id: memberMb, permissions_before: ['forum:moderator'], permissions: ['ar:admin', 'site:admin'] },
    })
    expect((await renewedClaims(server, member.token)).orgs[0]).toMatchObject({ oid: orgId, perm: ['ar:admin', 'site:admin'] })
    // An admin can make someone an owner.
    expect((await client.post(page(orgId, `/members/${memberMb}/permissions`), { 'permissions[]': ['ar:owner'] })).status).toBe(303)
    expect((await renewedClaims(server, member.token)).orgs[0].perm).toEqual(['ar:owner'])
  })

  it('refuses permissions that aren’t offered with 422 next to the member’s boxes, changing nothing', async () => {
    const { orgId, memberMb } = await team()
    const client = await admin()
    await client.get(page(orgId))
    const events = await eventCount(orgId)
    for (const [chosen, message] of [
      [['billing:view'], '“billing:view” is not one of this app’s permissions.'],
      [['not valid!'], '“not valid!” is not a valid permission name.'],
      [Array.from({ length: 101 }, (_, i) => `p${i}`), 'Choose at most 100 permissions.'],
    ] as const) {
      const res = await client.post(page(orgId, `/members/${memberMb}/permissions`), { 'permissions[]': [...chosen] })
      expect(res.status).toBe(422)
      const html = client.browser.lastHtml
      const item = html.slice(html.indexOf(`id="member-${memberMb}"`))
      expect(item.slice(0, item.indexOf('</li>'))).toContain(message)
    }
    expect((await membershipsOf(server, orgId)).find((m) => m.id === memberMb)!.permissions).toEqual(['forum:moderator'])
    expect(await eventCount(orgId)).toBe(events)
  })

  it('keeps at least one owner: the only owner can’t be demoted or removed; with a second owner they can', async () => {
    const { owner, orgId, memberMb } = await team()
    const client = await admin()
    await client.get(page(orgId))
    const events = await eventCount(orgId)
    const demote = await client.post(page(orgId, `/members/${owner.membershipId}/permissions`), { 'permissions[]': ['ar:admin'] })
    expect(demote.status).toBe(422)
    expect(client.browser.lastHtml).toContain('This is the account’s only owner, and every account needs one. Make another member an owner first.')
    expect((await client.get(page(orgId, `/members/${owner.membershipId}/remove`))).status).toBe(200)
    const remove = await client.post(page(orgId, `/members/${owner.membershipId}/remove`), { confirm: 'yes' })
    expect(remove.status).toBe(422)
    expect(client.browser.lastHtml).toContain('Make another member an owner first, or close the account.')
    expect((await membershipsOf(server, orgId)).find((m) => m.id === owner.membershipId)!.permissions).toEqual(['ar:owner'])
    expect(await membershipsOf(server, orgId)).toHaveLength(2)
    expect(await eventCount(orgId)).toBe(events)

    await setPermissionsInDb(server, memberMb, ['ar:owner'])
    await client.get(page(orgId))
    expect((await client.post(page(orgId, `/members/${owner.membershipId}/permissions`), { 'permissions[]': ['ar:admin'] })).status).toBe(303)
    expect((await membershipsOf(server, orgId)).find((m) => m.id === owner.membershipId)!.permissions).toEqual(['ar:admin'])
  })

  it('two demotions of the only two owners at the same moment: exactly one wins (10 rounds)', async () => {
    const { owner, orgId, memberMb } = await team()
    const client = await admin()
    await client.get(page(orgId))
    for (let round = 0; round < 10; round++) {
      await setPermissionsInDb(server, owner.membershipId, ['ar:owner'])
      await setPermissionsInDb(server, memberMb, ['ar:owner'])
      const [a, b] = await Promise.all([
        client.post(page(orgId, `/members/${owner.membershipId}/permissions`), {}),
        client.post(page(orgId, `/members/${memberMb}/permissions`), {}),
      ])
      expect([a.status, b.status].sort()).toEqual([303, 422])
      const owners = (await membershipsOf(server, orgId)).filter((m) => m.permissions.includes('ar:owner'))
      expect(owners.map((m) => m.id)).toEqual([a.status === 303 ? memberMb : owner.membershipId])
    }
  })

  it('removes a member after a confirmation: gone from the account and their next token, recorded', async () => {
    const { owner, member, orgId, memberMb } = await team('Removal Co')
    expect((await renewedClaims(server, member.token)).orgs[0].oid).toBe(orgId)
    const client = await admin()
    expect((await client.get(page(orgId, `/members/${memberMb}/remove`))).status).toBe(200)
    const html = client.browser.lastHtml
    expect(html).toContain(`Remove <strong>${member.email}</strong> from the account <strong>Removal Co</strong>?`)
    expect(html).toContain('<label class="check" for="confirm">')

    const unconfirmed = await client.post(page(orgId, `/members/${memberMb}/remove`), {})
    expect(unconfirmed.status).toBe(422)
    expect(client.browser.lastHtml).toContain('id="confirm-error">Tick the box to confirm that this member should be removed.')
    expect(await membershipsOf(server, orgId)).toHaveLength(2)

    const res = await client.post(page(orgId, `/members/${memberMb}/remove`), { confirm: 'yes' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(page(orgId, '?done=removed'))
    expect((await membershipsOf(server, orgId)).map((m) => m.userId)).toEqual([owner.userId])
    expect(await latestEvent(orgId)).toMatchObject({ type: 'membership.deleted', adminId, userId: member.userId, data: { membership_id: memberMb, reason: 'removed' } })
    expect((await renewedClaims(server, member.token)).orgs[0].oid).toBe(member.orgId)
    // Gone: its confirmation page and a second removal are "not found".
    expect((await client.get(page(orgId, `/members/${memberMb}/remove`))).status).toBe(404)
    expect((await client.post(page(orgId, `/members/${memberMb}/remove`), { confirm: 'yes' })).status).toBe(404)
  })

  it('revokes an open invitation: its link is void, recorded', async () => {
    const { owner, orgId } = await team()
    await owner.client.get(`/accounts/${orgId}`)
    expect((await owner.client.post(`/accounts/${orgId}/invitations`, { email: 'revoked@example.com' })).status).toBe(303)
    const { id } = await db().selectFrom('invitations').select('id').where('org_id', '=', orgId).executeTakeFirstOrThrow()
    const client = await admin()
    await client.get(page(orgId))
    const res = await client.post(page(orgId, `/invitations/${id}/revoke`), {})
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(page(orgId, '?done=revoked'))
    expect((await db().selectFrom('invitations').select('revoked_at').where('id', '=', id).executeTakeFirstOrThrow()).revoked_at).not.toBeNull()
    expect(await latestEvent(orgId)).toMatchObject({ type: 'invitation.org.revoked', adminId, data: { invitation_id: id } })
    await client.browser.follow(res)
    const html = client.browser.lastHtml
    expect(html.slice(html.indexOf('id="invitations-heading"'), html.indexOf('id="events-heading"'))).not.toContain('revoked@example.com')
    expect((await client.post(page(orgId, `/invitations/${id}/revoke`), {})).status).toBe(404)
  })

  it('closes an account after a confirmation, and reopens it: the members’ tokens lose it and get it back', async () => {
    const { owner, member, orgId } = await team('Closing Co')
    const client = await admin()
    await client.get(page(orgId))
    const unconfirmed = await client.post(page(orgId, '/close'), {})
    expect(unconfirmed.status).toBe(422)
    expect(client.browser.lastHtml).toContain('id="confirm-error">Tick the box to confirm that this account should be closed.')
    expect((await orgRow(orgId)).state).toBe('active')

    const res = await client.post(page(orgId, '/close'), { confirm: 'yes' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(page(orgId, '?done=closed'))
    expect((await orgRow(orgId)).state).toBe('closed')
    expect(await latestEvent(orgId)).toMatchObject({ type: 'org.closed', adminId })
    // As when its owners close it: it leaves the member's token (their own account instead) and the owner's.
    expect((await renewedClaims(server, member.token)).orgs[0].oid).toBe(member.orgId)
    expect((await renewedClaims(server, owner.token)).orgs).toEqual([])
    expect((await owner.client.get(`/accounts/${orgId}`)).status).toBe(404)
    // The closed account's page offers reopening, not closing.
    await client.browser.follow(res)
    expect(client.browser.lastHtml).toContain('<dt>State</dt><dd>closed</dd>')
    expect(client.browser.lastHtml).toContain(`action="${page(orgId, '/reopen')}"`)
    expect(client.browser.lastHtml).not.toContain(`action="${page(orgId, '/close')}"`)

    const reopened = await client.post(page(orgId, '/reopen'), {})
    expect(reopened.status).toBe(303)
    expect(reopened.headers.get('location')).toBe(page(orgId, '?done=reopened'))
    expect((await orgRow(orgId)).state).toBe('active')
    expect(await latestEvent(orgId)).toMatchObject({ type: 'org.reopened', adminId })
    expect((await renewedClaims(server, owner.token)).orgs[0]).toMatchObject({ oid: orgId, name: 'Closing Co', perm: ['ar:owner'] })
    await member.client.get('/accounts?force=1')
    expect(member.client.browser.lastHtml).toContain('Closing Co')
    // Reopening an open account changes and records nothing.
    const events = await eventCount(orgId)
    expect((await client.post(page(orgId, '/reopen'), {})).status).toBe(303)
    expect(await eventCount(orgId)).toBe(events)
  })

  it('another realm’s accounts and unknown ones are not found, and nothing changes', async () => {
    const { orgId, memberMb } = await team()
    const client = await admin()
    await client.get(list())
    const theirs = page(other.orgId)
    expect((await client.get(theirs)).status).toBe(404)
    for (const action of ['/name', '/close', '/reopen']) {
      expect((await client.post(page(other.orgId, action), { account_name: 'Taken over', confirm: 'yes' })).status, action).toBe(404)
    }
    const [theirMembership] = await membershipsOf(server, other.orgId)
    expect((await client.post(page(other.orgId, `/members/${theirMembership!.id}/permissions`), { 'permissions[]': ['ar:admin'] })).status).toBe(404)
    expect((await client.post(page(other.orgId, `/members/${theirMembership!.id}/remove`), { confirm: 'yes' })).status).toBe(404)
    // Another account's membership through this one's address.
    expect((await client.post(page(orgId, `/members/${theirMembership!.id}/permissions`), { 'permissions[]': ['ar:admin'] })).status).toBe(404)
    expect(await orgRow(other.orgId)).toMatchObject({ name: 'Elsewhere', state: 'active' })
    expect((await membershipsOf(server, other.orgId))[0]!.permissions).toEqual(['ar:owner'])

    for (const path of [page('org_unknown'), page('x'.repeat(5000)), `/admin/realms/rl_unknown/accounts`, `/admin/realms/rl_unknown/accounts/${orgId}`, page(orgId, '/members/mb_unknown/remove')]) {
      expect((await client.get(path)).status, path.slice(0, 80)).toBe(404)
    }
    expect((await client.post(page(orgId, '/invitations/nvt_unknown/revoke'), {})).status).toBe(404)
    expect((await client.post(page(orgId, '/members/mb_unknown/permissions'), {})).status).toBe(404)
    // Wrong methods are not found either.
    expect((await client.get(page(orgId, '/close'))).status).toBe(404)
    expect((await membershipsOf(server, orgId)).find((m) => m.id === memberMb)!.permissions).toEqual(['forum:moderator'])

    // The other realm's own pages list its account, and personal accounts there can't be closed.
    await client.get(`/admin/realms/${other.realm.id}/accounts`)
    expect(client.browser.lastHtml).toContain('Elsewhere')
    await client.get(`/admin/realms/${other.realm.id}/accounts/${other.orgId}`)
    expect(client.browser.lastHtml).toContain('Accounts in this realm are personal')
    expect((await client.post(`/admin/realms/${other.realm.id}/accounts/${other.orgId}/close`, { confirm: 'yes' })).status).toBe(403)
    expect((await orgRow(other.orgId)).state).toBe('active')
  })
})
