import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StoredEvent } from '../src/domain/event.js'
import { addMember, APP, back, confirmEmail, PASSWORD, signUp } from './support/accounts.js'
import { claimsOf } from './support/browser.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { linkIn, MailCatcher, settle } from './support/mail-catcher.js'
import { startServer, type TestServer } from './support/server.js'

const ADMIN_EMAIL = 'events-admin@example.com'
const ADMIN_PASSWORD = 'admin password 123'

// What happens on the hosted pages and in the portal lands in the event log, under AuthRocket's names.
describe.each(DIALECTS)('events recorded on %s', (dialect) => {
  let server: TestServer
  let mail: MailCatcher

  beforeAll(async () => {
    mail = await MailCatcher.start()
    server = await startServer({
      dialect,
      trustProxy: true,
      env: { AIRLOCK_SMTP_URL: mail.url },
      settings: [`login_urls=${APP}`, 'email_verification=optional', 'org_mode=multi_user', 'permissions=site:admin,forum:moderator'],
    })
    await server.booted.services.admins.create(ADMIN_EMAIL, ADMIN_PASSWORD, null, new Date())
  })
  afterAll(async () => {
    await server.close()
    await mail.close()
  })

  const realmId = () => server.booted.realm.id
  const eventsOf = (query: { userId?: string; orgId?: string; realmId?: string | null; type?: string } = {}) =>
    server.booted.services.events.list({ realmId: realmId(), limit: 100, ...query })
  const types = (events: StoredEvent[]) => events.map((event) => event.type).reverse()

  it('signup records user.created, the new account and membership, the verification mail and the login', async () => {
    const person = await signUp(server, 'events-signup@example.com', {}, {})
    const events = await eventsOf({ userId: person.userId })
    expect(types(events)).toEqual(['user.created', 'org.created', 'membership.created', 'user.email.verifying', 'user.login.succeeded'])
    const login = events.find((event) => event.type === 'user.login.succeeded')!
    expect(login.sessionId).toMatch(/^kss_/)
    expect(login.ip).toBe(person.client.ip)
    expect(events.find((event) => event.type === 'org.created')).toMatchObject({ orgId: person.orgId })
    expect(events.find((event) => event.type === 'membership.created')!.data).toMatchObject({ membership_id: person.membershipId, permissions: ['ar:owner'] })
    expect(JSON.stringify(events)).not.toContain(PASSWORD)
    // The signup's session is the user's first login.
    const user = await server.booted.services.users.byId(server.booted.realm, person.userId)
    expect(Math.abs(user!.lastLoginAt!.getTime() - login.createdAt.getTime())).toBeLessThan(1000)
  })

  it('a failed login names the user when the email is theirs, and only the email tried when it is no one’s', async () => {
    const person = await signUp(server, 'events-failed@example.com')
    const client = new Client(server)
    await client.get(`/login?${back}`)
    expect((await client.post(`/login?${back}`, { email: person.email, password: 'wrong password here' })).status).toBe(401)
    expect((await client.post(`/login?${back}`, { email: 'nobody-events@example.com', password: 'wrong password here' })).status).toBe(401)
    const failed = (await eventsOf()).filter((event) => event.type === 'user.login.failed')
    expect(failed[1]).toMatchObject({ userId: person.userId, data: { email: person.email, reason: 'invalid' }, ip: client.ip })
    expect(failed[0]).toMatchObject({ userId: null, data: { email: 'nobody-events@example.com', reason: 'invalid' } })
    expect(JSON.stringify(failed)).not.toContain('wrong password here')
    const user = await server.booted.services.users.byId(server.booted.realm, person.userId)
    const [signupLogin] = await eventsOf({ userId: person.userId, type: 'user.login.succeeded' })
    expect(Math.abs(user!.lastLoginAt!.getTime() - signupLogin!.createdAt.getTime()), 'a failed login is not a login').toBeLessThan(1000)
  })

  it('logout, profile changes and a new password are recorded', async () => {
    const person = await signUp(server, 'events-profile@example.com')
    const { client } = person
    await client.get('/profile')
    expect((await client.post('/profile/name', { first_name: 'Renamed', last_name: 'User' })).status).toBe(303)
    await client.get('/profile')
    expect((await client.post('/profile/password', { current_password: PASSWORD, new_password: 'another good password' })).status).toBe(303)
    await client.get(`/logout?session=${claimsOf(person.token).sid}`)
    const events = await eventsOf({ userId: person.userId })
    expect(types(events).slice(-3)).toEqual(['user.updated', 'user.password.updated', 'session.deleted'])
    expect(events[2]!.data).toEqual({ changed: ['first_name'] })
    expect(events[0]!.data).toEqual({ reason: 'logout' })
  })

  it('a password reset records the request and the new password, and confirms the address it proved', async () => {
    const person = await signUp(server, 'events-reset@example.com')
    const client = new Client(server)
    await client.get('/forgot')
    expect((await client.post('/forgot', { email: person.email })).status).toBe(200)
    const link = linkIn((await mail.waitFor(person.email, 2)).text, server.url, '/reset')
    await client.get(link.pathname + link.search)
    expect((await client.post('/reset', { token: link.searchParams.get('token')!, new_password: 'a brand new password' })).status).toBe(303)
    await settle(100)
    const events = types(await eventsOf({ userId: person.userId }))
    expect(events).toContain('user.password.resetting')
    expect(events.slice(-3)).toEqual(['user.password.updated', 'user.email.verified', 'user.login.succeeded'])
  })

  it('account management records membership and account changes with the member they concern', async () => {
    const owner = await signUp(server, 'events-owner@example.com')
    const member = await signUp(server, 'events-member@example.com')
    const mb = await addMember(server, owner.orgId, member.userId, [])
    const page = `/accounts/${owner.orgId}`
    await owner.client.get(page)
    expect((await owner.client.post(`${page}/members/${mb}/permissions`, { 'permissions[]': ['forum:moderator'] })).status).toBe(303)
    await owner.client.get(page)
    expect((await owner.client.post(`${page}/name`, { account_name: 'Renamed account' })).status).toBe(303)
    await owner.client.get(page)
    expect((await owner.client.post(`${page}/members/${mb}/remove`, {})).status).toBe(303)
    await owner.client.get(page)
    expect((await owner.client.post(`${page}/close`, { confirm: 'yes' })).status).toBe(303)

    const events = await eventsOf({ orgId: owner.orgId })
    expect(types(events).slice(-4)).toEqual(['membership.updated', 'org.updated', 'membership.deleted', 'org.closed'])
    const updated = events.find((event) => event.type === 'membership.updated')!
    expect(updated).toMatchObject({ userId: member.userId, data: { membership_id: mb, permissions_before: [], permissions: ['forum:moderator'], by_user_id: owner.userId } })
    expect(events.find((event) => event.type === 'membership.deleted')).toMatchObject({ userId: member.userId, data: { reason: 'removed' } })
  })

  it('an invitation records its creation, its acceptance and the membership it made', async () => {
    const owner = await signUp(server, 'events-inviter@example.com')
    await confirmEmail(server, owner) // so that they may invite
    const page = `/accounts/${owner.orgId}`
    await owner.client.get(page)
    expect((await owner.client.post(`${page}/invitations`, { email: 'events-invitee@example.com', 'permissions[]': ['site:admin'] })).status).toBe(303)
    const link = linkIn((await mail.waitFor('events-invitee@example.com')).text, server.url, '/invitations/accept')
    const invitee = new Client(server)
    const toSignup = await invitee.get(link.pathname + link.search)
    expect(toSignup.status).toBe(303)
    const signup = toSignup.headers.get('location')!
    await invitee.get(signup)
    expect((await invitee.post(signup, { invitation: link.searchParams.get('token')!, password: PASSWORD, first_name: 'In', last_name: 'Vitee' })).status).toBe(303)

    const events = await eventsOf({ orgId: owner.orgId })
    expect(types(events).slice(-3)).toEqual(['invitation.org.created', 'invitation.org.accepted', 'membership.created'])
    const accepted = events.find((event) => event.type === 'invitation.org.accepted')!
    expect(types(await eventsOf({ userId: accepted.userId! }))[0]).toBe('user.created')
  })

  it('the portal records admin logins (the server’s own) and realm changes (the realm’s)', async () => {
    const client = new Client(server)
    await client.get('/admin/login')
    expect((await client.post('/admin/login', { email: ADMIN_EMAIL, password: 'not the password' })).status).toBe(401)
    expect((await client.post('/admin/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).status).toBe(303)
    const own = await eventsOf({ realmId: null })
    expect(types(own).slice(-2)).toEqual(['admin.login.failed', 'admin.login.succeeded'])
    expect(own[0]!.adminId).toMatch(/^adm_/)
    expect(own[1]).toMatchObject({ adminId: null, data: { email: ADMIN_EMAIL }, ip: client.ip })

    await client.get(`/admin/realms/${realmId()}/keys`)
    expect((await client.post(`/admin/realms/${realmId()}/keys/rotate`, {})).status).toBe(303)
    const [rotated] = await eventsOf()
    expect(rotated).toMatchObject({ type: 'admin.realm.key.rotated', adminId: own[0]!.adminId, realmId: realmId() })
    expect(rotated!.data.kid).toEqual(expect.any(String))
  })
})
