import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP, PASSWORD, addMember, back, confirmEmail, membershipsOf, renewedClaims, setPermissionsInDb, signUp } from './support/accounts.js'
import { claimsOf, tokenFrom } from './support/browser.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { startServer, type TestServer } from './support/server.js'

describe.each(DIALECTS)('managing an account on %s', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startServer({
      dialect,
      trustProxy: true,
      settings: [`login_urls=${APP}`, 'email_verification=none', 'org_mode=multi_user', 'permissions=site:admin,forum:moderator', 'new_member_permissions=forum:moderator'],
    })
  })
  afterAll(() => server.close())

  let n = 0
  const email = (who: string) => `${who}-${++n}@example.com`
  const page = (orgId: string, query = '') => `/accounts/${orgId}${query}`
  const perms = (orgId: string, mb: string) => `/accounts/${orgId}/members/${mb}/permissions`
  const orgRow = (orgId: string) => server.booted.services.db.kysely.selectFrom('orgs').selectAll().where('id', '=', orgId).executeTakeFirstOrThrow()

  /** An account with an owner, an admin and a plain member, each logged in in their own browser. */
  async function team() {
    const owner = await signUp(server, email('owner'), { account_name: 'Team' })
    await confirmEmail(server, owner) // so that the page offers the invite form
    const admin = await signUp(server, email('admin'))
    const member = await signUp(server, email('member'))
    const adminMb = await addMember(server, owner.orgId, admin.userId, ['ar:admin'])
    const memberMb = await addMember(server, owner.orgId, member.userId, ['forum:moderator'])
    return { owner, admin, member, orgId: owner.orgId, adminMb, memberMb }
  }

  it('sends a logged-out browser to log in, then back to the account page with its redirect_uri', async () => {
    const { orgId } = await signUp(server, email('owner'), { account_name: 'Later' })
    const res = await new Client(server).get(page(orgId, `?${back}`))
    expect(res.status).toBe(303)
    const location = new URL(res.headers.get('location')!, server.url)
    expect(location.pathname).toBe('/login')
    expect(location.searchParams.get('return_to')).toBe(page(orgId, `?${back}`))
  })

  it('shows owners the name, the members with permission checkboxes, the invite form, leave and close', async () => {
    const { owner, orgId, adminMb, memberMb } = await team()
    const res = await owner.client.get(page(orgId, `?${back}`))
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const html = owner.client.browser.lastHtml
    expect(html).toContain('<h1>Team</h1>')
    expect(html).toContain('value="Team"')
    const q = `?redirect_uri=${encodeURIComponent(APP)}`.replace(/&/g, '&amp;')
    for (const action of ['name', `members/${adminMb}/permissions`, `members/${memberMb}/remove`, 'invitations', 'leave', 'close']) {
      expect(html).toContain(`action="/accounts/${orgId}/${action}${q}"`)
    }
    // Checkboxes: the reserved permissions and the realm's named ones, the member's own ticked.
    const memberForm = html.slice(html.indexOf(`id="member-${memberMb}"`))
    for (const value of ['ar:owner', 'ar:admin', 'site:admin', 'forum:moderator']) expect(memberForm).toContain(`name="permissions[]" value="${value}"`)
    expect(memberForm).toMatch(/value="forum:moderator" checked/)
    expect(memberForm).not.toMatch(/value="site:admin" checked/)
    // The back link goes through /login, for a fresh token; the account list keeps the way back too.
    expect(html).toContain(`<a href="/login?redirect_uri=${encodeURIComponent(`${APP}/`)}">Back to the app</a>`)
    expect(html).toContain(`href="/accounts?force=1&amp;redirect_uri=${encodeURIComponent(APP)}"`)
    // Every checkbox and input has a label, and ids are unique.
    const ids = [...html.matchAll(/<input id="([^"]+)"|<input type="checkbox" id="([^"]+)"/g)].map((m) => m[1] ?? m[2])
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(html).toContain(`for="${id}"`)
  })

  it('shows a plain member their permissions and "Leave this account", and no management forms', async () => {
    const { member, orgId } = await team()
    expect((await member.client.get(page(orgId))).status).toBe(200)
    const html = member.client.browser.lastHtml
    expect(html).toContain('Your permissions: forum:moderator')
    expect(html).toContain(`action="/accounts/${orgId}/leave"`)
    for (const action of ['name', 'invitations', 'close', 'members/']) expect(html).not.toContain(`action="/accounts/${orgId}/${action}`)
  })

  it('admins see owners without forms and no ar:owner checkbox; they cannot change or remove owners, nor make one', async () => {
    const { owner, admin, orgId, memberMb } = await team()
    await admin.client.get(page(orgId))
    const html = admin.client.browser.lastHtml
    expect(html).not.toContain(`action="/accounts/${orgId}/members/${owner.membershipId}/`)
    expect(html).not.toContain('value="ar:owner"')
    expect(html).not.toContain(`action="/accounts/${orgId}/close`)

    const demote = await admin.client.post(perms(orgId, owner.membershipId), { 'permissions[]': ['ar:admin'] })
    expect(demote.status).toBe(403)
    expect(await demote.text()).toContain('Only owners can change an owner’s permissions.')
    expect((await admin.client.post(`/accounts/${orgId}/members/${owner.membershipId}/remove`, {})).status).toBe(403)
    const promote = await admin.client.post(perms(orgId, memberMb), { 'permissions[]': ['ar:owner'] })
    expect(promote.status).toBe(422)
    expect(await promote.text()).toContain('Only owners can make someone an owner.')
    expect((await admin.client.post(`/accounts/${orgId}/close`, { confirm: 'yes' })).status).toBe(403)
    expect((await membershipsOf(server, orgId)).find((m) => m.id === owner.membershipId)!.permissions).toEqual(['ar:owner'])

    // What admins may do: change non-owners, including making them admins.
    const granted = await admin.client.post(perms(orgId, memberMb), { 'permissions[]': ['ar:admin', 'site:admin'] })
    expect(granted.status).toBe(303)
    expect((await membershipsOf(server, orgId)).find((m) => m.id === memberMb)!.permissions).toEqual(['ar:admin', 'site:admin'])
  })

  it('renames the account; the notice shows, redirect_uri is kept, and renewed tokens carry the new name', async () => {
    const { owner, orgId } = await team()
    await owner.client.get(page(orgId, `?${back}`))
    const res = await owner.client.post(`/accounts/${orgId}/name?${back}`, { account_name: '  Renamed Inc.  ' })
    expect(res.status).toBe(303)
    const location = new URL(res.headers.get('location')!, server.url)
    expect(location.pathname).toBe(page(orgId))
    expect(location.searchParams.get('done')).toBe('name')
    expect(location.searchParams.get('redirect_uri')).toBe(APP)
    await owner.client.browser.follow(res)
    expect(owner.client.browser.lastHtml).toContain('The account’s name was saved.')
    expect(owner.client.browser.lastHtml).toContain('<h1>Renamed Inc.</h1>')
    expect((await renewedClaims(server, owner.token)).orgs[0].name).toBe('Renamed Inc.')
  })

  it('changes permissions; the member’s next renewal carries them', async () => {
    const { owner, member, orgId, memberMb } = await team()
    await member.client.get(`/accounts?${back}`)
    await member.client.post(`/accounts/choose?${back}`, { org_id: orgId })
    expect((await renewedClaims(server, member.token)).orgs[0]).toMatchObject({ oid: orgId, perm: ['forum:moderator'] })

    await owner.client.get(page(orgId))
    const res = await owner.client.post(perms(orgId, memberMb), { 'permissions[]': ['site:admin', 'forum:moderator'] })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`${page(orgId)}?done=permissions`)
    expect((await renewedClaims(server, member.token)).orgs[0]).toMatchObject({ oid: orgId, perm: ['forum:moderator', 'site:admin'] })

    // No boxes ticked: no permissions (still a member).
    expect((await owner.client.post(perms(orgId, memberMb), {})).status).toBe(303)
    expect((await renewedClaims(server, member.token)).orgs[0]).toMatchObject({ oid: orgId, perm: [] })
  })

  it('keeps permissions a member has outside the realm’s list as a box that can be unticked', async () => {
    const { owner, orgId, memberMb } = await team()
    await setPermissionsInDb(server, memberMb, ['billing:view', 'forum:moderator'])
    await owner.client.get(page(orgId))
    expect(owner.client.browser.lastHtml).toMatch(/value="billing:view" checked/)
    expect((await owner.client.post(perms(orgId, memberMb), { 'permissions[]': ['billing:view'] })).status).toBe(303)
    expect((await membershipsOf(server, orgId)).find((m) => m.id === memberMb)!.permissions).toEqual(['billing:view'])
    // Once gone, it can't be given back through the form: it isn't one of the realm's permissions.
    await owner.client.post(perms(orgId, memberMb), {})
    const again = await owner.client.post(perms(orgId, memberMb), { 'permissions[]': ['billing:view'] })
    expect(again.status).toBe(422)
    expect(await again.text()).toContain('“billing:view” is not one of this app’s permissions.')
  })

  it('every account keeps an owner: the only owner can’t drop ar:owner, be removed, or leave; with a second owner they can', async () => {
    const { owner, member, orgId, memberMb } = await team()
    await owner.client.get(page(orgId))
    const drop = await owner.client.post(perms(orgId, owner.membershipId), { 'permissions[]': ['ar:admin'] })
    expect(drop.status).toBe(422)
    const dropHtml = await drop.text()
    expect(dropHtml).toContain('Every account needs an owner, and this is its only one.')
    // The error is next to that member's boxes, which show what was ticked.
    const row = dropHtml.slice(dropHtml.indexOf(`id="member-${owner.membershipId}"`))
    expect(row.slice(0, row.indexOf('</li>'))).toMatch(/value="ar:admin" checked/)
    expect(row.slice(0, row.indexOf('</li>'))).toContain('class="error"')

    const remove = await owner.client.post(`/accounts/${orgId}/members/${owner.membershipId}/remove`, {})
    expect(remove.status).toBe(422)
    expect(await remove.text()).toContain('This is the account’s only owner.')
    const leave = await owner.client.post(`/accounts/${orgId}/leave`, {})
    expect(leave.status).toBe(422)
    expect(await leave.text()).toContain('You are this account’s only owner, so you can’t leave it. Make another member an owner first, or close the account.')
    expect(await membershipsOf(server, orgId)).toHaveLength(3)

    // Make the member an owner; now the first owner may step down, and leave.
    expect((await owner.client.post(perms(orgId, memberMb), { 'permissions[]': ['ar:owner'] })).status).toBe(303)
    expect((await owner.client.post(perms(orgId, owner.membershipId), { 'permissions[]': ['ar:admin'] })).status).toBe(303)
    await member.client.get(page(orgId))
    expect(member.client.browser.lastHtml).toContain(`action="/accounts/${orgId}/close"`)
    const left = await owner.client.post(`/accounts/${orgId}/leave`, {})
    expect(left.status).toBe(303)
    expect(left.headers.get('location')).toBe('/accounts?force=1&done=left')
    await owner.client.browser.follow(left)
    expect(owner.client.browser.lastHtml).toContain('You left the account.')
    expect(owner.client.browser.lastHtml).not.toContain(orgId)
    expect((await owner.client.get(page(orgId))).status).toBe(403)
  })

  it('a member leaves; the account drops out of their next token', async () => {
    const { member, orgId } = await team()
    await member.client.get(`/accounts?${back}`)
    await member.client.post(`/accounts/choose?${back}`, { org_id: orgId })
    await member.client.get(page(orgId, `?${back}`))
    const res = await member.client.post(`/accounts/${orgId}/leave?${back}`, {})
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`/accounts?force=1&done=left&redirect_uri=${encodeURIComponent(APP)}`)
    expect((await membershipsOf(server, orgId)).some((m) => m.userId === member.userId)).toBe(false)
    const claims = await renewedClaims(server, member.token)
    expect(claims.orgs[0].oid).toBe(member.orgId)
  })

  it('removes a member; their next renewal no longer carries the account', async () => {
    const { owner, member, orgId, memberMb } = await team()
    await member.client.get(`/accounts?${back}`)
    await member.client.post(`/accounts/choose?${back}`, { org_id: orgId })
    expect((await renewedClaims(server, member.token)).orgs[0].oid).toBe(orgId)
    await owner.client.get(page(orgId))
    const res = await owner.client.post(`/accounts/${orgId}/members/${memberMb}/remove`, {})
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`${page(orgId)}?done=removed`)
    const claims = await renewedClaims(server, member.token)
    expect(claims.orgs.map((o: { oid: string }) => o.oid)).not.toContain(orgId)
    expect((await member.client.get(page(orgId))).status).toBe(403)
  })

  it('owners close the account after confirming; it leaves every list and token, and its page is gone', async () => {
    const { owner, admin, member, orgId } = await team()
    await member.client.get(`/accounts?${back}`)
    await member.client.post(`/accounts/choose?${back}`, { org_id: orgId })
    await owner.client.get(page(orgId))
    const unconfirmed = await owner.client.post(`/accounts/${orgId}/close`, {})
    expect(unconfirmed.status).toBe(422)
    expect(await unconfirmed.text()).toContain('Tick the box to confirm')
    expect((await orgRow(orgId)).state).toBe('active')

    const res = await owner.client.post(`/accounts/${orgId}/close`, { confirm: 'yes' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/accounts?force=1&done=closed')
    expect((await orgRow(orgId)).state).toBe('closed')
    for (const person of [owner, admin, member]) {
      expect((await person.client.get(page(orgId))).status).toBe(404)
      await person.client.get('/accounts?force=1')
      expect(person.client.browser.lastHtml).not.toContain(orgId)
      const claims = await renewedClaims(server, person.token)
      expect((claims.orgs ?? []).map((o: { oid: string }) => o.oid)).not.toContain(orgId)
    }
  })

  it('a user whose only account is closed gets tokens with an empty orgs list, at login and at renewal', async () => {
    const owner = await signUp(server, email('sole'), { account_name: 'Solo' })
    await owner.client.get(page(owner.orgId))
    expect((await owner.client.post(`/accounts/${owner.orgId}/close`, { confirm: 'yes' })).status).toBe(303)

    // AuthRocket's middleware throws a TypeError on a token without `orgs`: the claim is there, empty.
    expect((await renewedClaims(server, owner.token)).orgs).toEqual([])
    const again = new Client(server)
    await again.get(`/login?${back}`)
    const login = await again.post(`/login?${back}`, { email: owner.email, password: PASSWORD })
    expect(login.status).toBe(303)
    expect(claimsOf(tokenFrom(login)).orgs).toEqual([])
  })

  it('two owners demoting each other at the same moment: exactly one wins, one owner remains (10 rounds)', async () => {
    const a = await signUp(server, email('race-a'), { account_name: 'Race' })
    const b = await signUp(server, email('race-b'))
    const orgId = a.orgId
    const bMb = await addMember(server, orgId, b.userId, ['ar:owner'])
    await a.client.get(page(orgId))
    await b.client.get(page(orgId))
    for (let round = 0; round < 10; round++) {
      await setPermissionsInDb(server, a.membershipId, ['ar:owner'])
      await setPermissionsInDb(server, bMb, ['ar:owner'])
      // Alternate between demoting to nothing and to admin (an admin still manages, but can't touch owners).
      const to: Record<string, string[]> = round % 2 === 0 ? {} : { 'permissions[]': ['ar:admin'] }
      const [byA, byB] = await Promise.all([a.client.post(perms(orgId, bMb), to), b.client.post(perms(orgId, a.membershipId), to)])
      const statuses = [byA.status, byB.status].sort()
      expect(statuses).toEqual([303, 403])
      // The loser was refused for what the winner did (not, say, for a stale form).
      const loser = byA.status === 403 ? byA : byB
      expect(await loser.text()).toMatch(/Only the account’s owners and admins can do that\.|Only owners can change an owner’s permissions\./)
      const owners = (await membershipsOf(server, orgId)).filter((m) => m.permissions.includes('ar:owner'))
      expect(owners).toHaveLength(1)
      expect(owners[0]!.id).toBe(byA.status === 303 ? a.membershipId : bMb)
    }
  })

  it('two owners removing each other, or both leaving, at the same moment: one owner remains', async () => {
    const a = await signUp(server, email('race-c'), { account_name: 'Race 2' })
    const b = await signUp(server, email('race-d'))
    const orgId = a.orgId
    let bMb = await addMember(server, orgId, b.userId, ['ar:owner'])
    await a.client.get(page(orgId))
    await b.client.get(page(orgId))
    for (let round = 0; round < 6; round++) {
      const both =
        round % 2 === 0
          ? [a.client.post(`/accounts/${orgId}/members/${bMb}/remove`, {}), b.client.post(`/accounts/${orgId}/members/${a.membershipId}/remove`, {})]
          : [a.client.post(`/accounts/${orgId}/leave`, {}), b.client.post(`/accounts/${orgId}/leave`, {})]
      const results = await Promise.all(both)
      expect(results.filter((r) => r.status === 303)).toHaveLength(1)
      const left = await membershipsOf(server, orgId)
      expect(left.filter((m) => m.permissions.includes('ar:owner'))).toHaveLength(1)
      // Put the one who went back, for the next round.
      if (!left.some((m) => m.id === a.membershipId)) a.membershipId = await addMember(server, orgId, a.userId, ['ar:owner'])
      if (!left.some((m) => m.id === bMb)) bMb = await addMember(server, orgId, b.userId, ['ar:owner'])
    }
  })
})
