import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../src/crypto/ids.js'
import type { Realm } from '../src/domain/realm.js'
import { userRepository } from '../src/db/repositories/users.js'
import type { User } from '../src/domain/user.js'
import { createRealm } from '../src/services/realms.js'
import { addMember, APP, back, PASSWORD, setPermissionsInDb, signUp, type Person } from './support/accounts.js'
import { tokenFrom } from './support/browser.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { linkIn, MailCatcher, settle } from './support/mail-catcher.js'
import { startServer, type TestServer } from './support/server.js'

const ADMIN_EMAIL = 'users-admin@example.com'
const ADMIN_PASSWORD = 'admin password 123'

describe.each(DIALECTS)('admin portal users on %s', (dialect) => {
  let server: TestServer
  let smtp: MailCatcher
  let realm: Realm
  let other: Realm
  let adminId: string

  beforeAll(async () => {
    smtp = await MailCatcher.start()
    server = await startServer({
      dialect,
      trustProxy: true,
      env: { AIRLOCK_SMTP_URL: smtp.url },
      settings: [`login_urls=${APP}`, 'username_field=optional', 'name=Users Realm'],
    })
    const created = await services().admins.create(ADMIN_EMAIL, ADMIN_PASSWORD, null, new Date())
    if (!created.ok) throw new Error('admin not created')
    adminId = created.value.id
    realm = (await services().realms.byId(server.booted.realm.id))!
    other = await createRealm(services(), 'Other', 'http://login.other-users.test', { kind: 'cli' })
  })
  afterAll(async () => {
    await server.close()
    await smtp.close()
  })

  const services = () => server.booted.services
  const db = () => services().db.kysely
  const users = () => userRepository(db())
  const userUrl = (id: string) => `/admin/realms/${realm.id}/users/${id}`
  const userOf = (id: string) => users().byId(realm.id, id)
  const eventsOf = (userId: string, type: string) => services().events.list({ realmId: realm.id, userId, type, limit: 50 })
  const renew = (token: string) => fetch(`${server.url}/connect/renew`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
  /** The user ids the list page links to, in its order. */
  const listed = (html: string) => [...html.matchAll(/href="\/admin\/realms\/[^/]+\/users\/(usr_[^"?/]+)"/g)].map((m) => m[1])

  async function admin(): Promise<Client> {
    const client = new Client(server)
    await client.get('/admin/login')
    expect((await client.post('/admin/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).status).toBe(303)
    return client
  }

  /** A user signed up over HTTP, whose signup confirmation mail has arrived (so later mails count from 2). */
  async function person(email: string, fields: Record<string, string> = {}): Promise<Person> {
    const signed = await signUp(server, email, fields)
    await smtp.waitFor(email, 1)
    return signed
  }

  /** A fresh login of the user from another browser: a second LoginRocket session, and its token. */
  async function login(email: string, password = PASSWORD, headers: Record<string, string> = {}): Promise<Response> {
    const client = new Client(server)
    await client.get(`/login?${back}`)
    return client.post(`/login?${back}`, { email, password }, headers)
  }

  /** A user stored directly (no password), created at `createdAt`. */
  function insertUser(realmId: string, email: string, createdAt: Date, names: Partial<User> = {}): Promise<User> {
    return users().insert(
      {
        id: newId('usr'),
        realmId,
        email,
        emailVerifiedAt: null,
        passwordHash: null,
        firstName: names.firstName ?? null,
        lastName: names.lastName ?? null,
        username: null,
        locale: null,
        reference: null,
        custom: {},
        state: 'active',
      },
      createdAt,
    )
  }

  it('finds users by email, name, username or id, case-insensitively, with % and _ taken literally', async () => {
    const t = Date.now()
    const under = await insertUser(realm.id, 'wild_card@search.example', new Date(t))
    const percent = await insertUser(realm.id, 'wild%card@search.example', new Date(t + 1))
    const plainA = await insertUser(realm.id, 'wildXcard@search.example', new Date(t + 2))
    const plainB = await insertUser(realm.id, 'wild-card@search.example', new Date(t + 3), { firstName: 'Marigold', lastName: 'Featherstone' })
    await users().update(realm.id, plainA.id, { username: 'Quill.Pen' }, new Date())
    await insertUser(other.id, 'wild_card@search.example', new Date(t + 4), { firstName: 'Marigold' })
    const client = await admin()

    const search = async (q: string) => {
      expect((await client.get(`/admin/realms/${realm.id}/users?q=${encodeURIComponent(q)}`)).status).toBe(200)
      return client.browser.lastHtml
    }
    let html = await search('WILD_CARD@')
    expect(listed(html)).toEqual([under.id])
    expect(html).toContain('1 user matches “WILD_CARD@”')
    expect(listed(await search('wild%card'))).toEqual([percent.id])
    // Newest first; the other realm's namesake is not among them.
    expect(listed(await search('@search.EXAMPLE'))).toEqual([plainB.id, plainA.id, percent.id, under.id])
    expect(listed(await search('marigold FEATHER'))).toEqual([plainB.id])
    expect(listed(await search('featherstone'))).toEqual([plainB.id])
    expect(listed(await search('quill.pen'))).toEqual([plainA.id])
    expect(listed(await search(plainA.id))).toEqual([plainA.id])
    html = await search('no such person')
    expect(listed(html)).toEqual([])
    expect(html).toContain('0 users match “no such person”')
    // The search box keeps the query, and is labelled.
    expect(html).toMatch(/<label for="q">/)
    expect(html).toContain('value="no such person"')
  })

  it('pages 50 users at a time, newest first, with a count and Previous/Next links', async () => {
    const t = Date.now() - 3_600_000
    const made: User[] = []
    for (let i = 0; i < 55; i++) made.push(await insertUser(realm.id, `member${String(i).padStart(2, '0')}@paging.example`, new Date(t + i * 1000)))
    const newestFirst = made.map((u) => u.id).reverse()
    const client = await admin()

    await client.get(`/admin/realms/${realm.id}/users?q=paging.example`)
    let html = client.browser.lastHtml
    expect(listed(html)).toEqual(newestFirst.slice(0, 50))
    expect(html).toContain('55 users match “paging.example”; showing 1–50, newest first.')
    expect(html).toContain('Page 1 of 2')
    expect(html).toContain(`href="/admin/realms/${realm.id}/users?q=paging.example&amp;page=2"`)
    expect(html).not.toContain('Previous page')

    await client.get(`/admin/realms/${realm.id}/users?q=paging.example&page=2`)
    html = client.browser.lastHtml
    expect(listed(html)).toEqual(newestFirst.slice(50))
    expect(html).toContain('showing 51–55')
    expect(html).toContain(`href="/admin/realms/${realm.id}/users?q=paging.example" rel="prev"`)
    expect(html).not.toContain('Next page')

    // Nonsense page numbers are the first page; pages past the end are empty.
    await client.get(`/admin/realms/${realm.id}/users?q=paging.example&page=-3`)
    expect(listed(client.browser.lastHtml)).toEqual(newestFirst.slice(0, 50))
    expect((await client.get(`/admin/realms/${realm.id}/users?q=paging.example&page=99999999999`)).status).toBe(200)
    expect(listed(client.browser.lastHtml)).toEqual(newestFirst.slice(0, 50))
    expect((await client.get(`/admin/realms/${realm.id}/users?q=paging.example&page=7`)).status).toBe(200)
    expect(listed(client.browser.lastHtml)).toEqual([])
  })

  it('shows a user’s profile, accounts with permissions, live sessions and recent events', async () => {
    const email = 'Shown.Person@example.com'
    const p = await person(email, { first_name: 'Shown', last_name: 'Person', username: 'shown-person' })
    const second = await login(email, PASSWORD, { 'user-agent': 'PortalTest/1.0 (second browser)' })
    expect(second.status).toBe(303)
    await services().events.record({ type: 'user.login.failed', realmId: realm.id, userId: p.userId, data: { reason: 'test marker 42' } }, new Date())
    const client = await admin()

    expect((await client.get(userUrl(p.userId))).status).toBe(200)
    const html = client.browser.lastHtml
    expect(html).toContain('<nav class="realm-nav"')
    expect(html).toMatch(new RegExp(`href="/admin/realms/${realm.id}/users" aria-current="page"`))
    expect(html).toContain(email)
    expect(html).toContain('(not confirmed)')
    expect(html).toContain('Shown')
    expect(html).toContain('shown-person')
    expect(html).toContain('Active')
    expect(html).toContain(p.userId)
    // The personal account, linked, with the owner permission.
    expect(html).toContain(`href="/admin/realms/${realm.id}/accounts/${p.orgId}"`)
    expect(html).toContain('ar:owner')
    // Both sessions, with where they were opened, each with its Revoke form.
    expect(html).toContain(p.client.ip)
    expect(html).toContain('PortalTest/1.0 (second browser)')
    const sessions = await services().adminUsers.liveSessions(realm, (await userOf(p.userId))!, new Date())
    expect(sessions).toHaveLength(2)
    for (const session of sessions) expect(html).toContain(`action="${userUrl(p.userId)}/sessions/${session.id}/revoke"`)
    expect(html).toContain('Revoke all sessions')
    expect(html).toContain('test marker 42')
    expect(html).toContain(`href="/admin/realms/${realm.id}/events?user=${p.userId}"`)
  })

  it('edits the profile: records the changed fields, a new email is unconfirmed and older mailed links stop working', async () => {
    const p = await person('edit.me@example.com', { first_name: 'Edit', last_name: 'Me' })
    let user = (await userOf(p.userId))!
    await services().users.markEmailVerified(realm, user, user.email, new Date())
    const client = await admin()
    await client.get(userUrl(p.userId))

    // A change of case only: the same mailbox, still confirmed.
    let res = await client.post(`${userUrl(p.userId)}/edit`, { email: 'Edit.Me@example.com', first_name: 'Edit', last_name: 'Me', username: '', locale: '' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`${userUrl(p.userId)}?done=saved`)
    user = (await userOf(p.userId))!
    expect(user.email).toBe('Edit.Me@example.com')
    expect(user.emailVerifiedAt).not.toBeNull()
    expect((await eventsOf(p.userId, 'user.updated'))[0]).toMatchObject({ adminId, data: { changed: ['email'] } })

    const resetSecret = await services().links.create('password_reset', { realmId: realm.id, userId: p.userId, email: user.email }, new Date())
    res = await client.post(`${userUrl(p.userId)}/edit`, { email: 'edited@example.com', first_name: 'Edna', last_name: '', username: 'edna_m', locale: 'pt-br' })
    expect(res.status).toBe(303)
    user = (await userOf(p.userId))!
    expect(user).toMatchObject({ email: 'edited@example.com', emailVerifiedAt: null, firstName: 'Edna', lastName: null, username: 'edna_m', locale: 'pt-BR' })
    const [updated] = await eventsOf(p.userId, 'user.updated')
    expect(updated).toMatchObject({ adminId, data: { changed: ['email', 'first_name', 'last_name', 'username', 'locale'] } })
    // The reset link went to the old address: it no longer works.
    expect((await new Client(server).get(`/reset?token=${resetSecret}`)).status).toBe(410)

    await client.get(`${userUrl(p.userId)}?done=saved`)
    expect(client.browser.lastHtml).toContain('Changes saved.')
    expect(client.browser.lastHtml).toContain('(not confirmed)')
    // A new address is a change of credentials: the user's sessions end, so the app's token no longer renews.
    expect((await renew(p.token)).status).toBe(401)

    // Saving the same values again changes and records nothing.
    const before = (await eventsOf(p.userId, 'user.updated')).length
    res = await client.post(`${userUrl(p.userId)}/edit`, { email: 'edited@example.com', first_name: 'Edna', last_name: '', username: 'edna_m', locale: 'pt-BR' })
    expect(res.status).toBe(303)
    expect(await eventsOf(p.userId, 'user.updated')).toHaveLength(before)
  })

  it('refuses bad edits with 422 and the message next to the field, changing nothing', async () => {
    const p = await person('bad.edits@example.com', { first_name: 'Bad', last_name: 'Edits', username: 'bad-edits' })
    const taken = await person('taken.address@example.com', { username: 'taken-name' })
    const before = await userOf(p.userId)
    const client = await admin()
    await client.get(userUrl(p.userId))
    const good = { email: 'bad.edits@example.com', first_name: 'Bad', last_name: 'Edits', username: 'bad-edits', locale: '' }

    const cases: [Record<string, string>, string, RegExp][] = [
      [{ email: 'not an address' }, 'email', /Enter an email address like name@example.com/],
      [{ email: '' }, 'email', /Enter the email address/],
      [{ email: 'TAKEN.ADDRESS@example.com' }, 'email', /Another user of this realm has this email address/],
      [{ username: 'Taken-Name' }, 'username', /Another user of this realm has this username/],
      [{ username: 'no spaces allowed' }, 'username', /Use 3 to 40 letters/],
      [{ first_name: 'x'.repeat(5000) }, 'first_name', /The first name can have at most 100 characters/],
      [{ last_name: 'bad\u0007name' }, 'last_name', /characters that are not allowed/],
      [{ locale: 'not a locale!' }, 'locale', /Enter a language tag such as en or pt-BR/],
      [{ locale: 'x'.repeat(100) }, 'locale', /Enter a language tag/],
    ]
    for (const [change, name, message] of cases) {
      const res = await client.post(`${userUrl(p.userId)}/edit`, { ...good, ...change })
      expect(res.status, JSON.stringify(change).slice(0, 80)).toBe(422)
      const html = client.browser.lastHtml
      expect(html).toMatch(new RegExp(`id="${name}-error">[^<]*${message.source}`))
      expect(html).toContain('Nothing was saved')
      // What was typed is kept (cut to a sane length).
      expect(html).toContain(`value="${(change[name] ?? '').slice(0, 300)}"`)
    }
    expect(await userOf(p.userId)).toEqual(before)
    expect(await eventsOf(p.userId, 'user.updated')).toEqual([])
    expect((await userOf(taken.userId))!.email).toBe('taken.address@example.com')
  })

  it('revokes one session, then all: renewal refuses their tokens', async () => {
    const email = 'sessions@example.com'
    const p = await person(email)
    const two = tokenFrom(await login(email))
    const three = tokenFrom(await login(email))
    const sid = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string
    const client = await admin()
    await client.get(userUrl(p.userId))
    expect(client.browser.lastHtml).toContain(sid(p.token))

    let res = await client.post(`${userUrl(p.userId)}/sessions/${sid(p.token)}/revoke`, {})
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`${userUrl(p.userId)}?done=revoked`)
    expect((await renew(p.token)).status).toBe(401)
    expect((await renew(two)).status).toBe(200)
    const [revoked] = await eventsOf(p.userId, 'session.deleted')
    expect(revoked).toMatchObject({ adminId, sessionId: sid(p.token), data: { reason: 'admin' } })
    await client.get(userUrl(p.userId))
    expect(client.browser.lastHtml).not.toContain(`/sessions/${sid(p.token)}/revoke`)

    // A session that has ended, or isn't this user's, is not found.
    expect((await client.post(`${userUrl(p.userId)}/sessions/${sid(p.token)}/revoke`, {})).status).toBe(404)
    const stranger = await person('stranger@example.com')
    expect((await client.post(`${userUrl(p.userId)}/sessions/${sid(stranger.token)}/revoke`, {})).status).toBe(404)
    expect((await renew(stranger.token)).status).toBe(200)

    res = await client.post(`${userUrl(p.userId)}/sessions/revoke-all`, {})
    expect(res.status).toBe(303)
    expect((await renew(two)).status).toBe(401)
    expect((await renew(three)).status).toBe(401)
    const deleted = await eventsOf(p.userId, 'session.deleted')
    expect(deleted.map((e) => e.sessionId).sort()).toEqual([sid(p.token), sid(two), sid(three)].sort())
    expect(await services().adminUsers.liveSessions(realm, (await userOf(p.userId))!, new Date())).toEqual([])
    // The user can log in again.
    expect((await login(email)).status).toBe(303)
  })

  it('disabling logs the user out everywhere and refuses their logins; enabling lets them back in', async () => {
    const email = 'disable.me@example.com'
    const p = await person(email)
    const client = await admin()
    await client.get(userUrl(p.userId))

    let res = await client.post(`${userUrl(p.userId)}/disable`, {})
    expect(res.status).toBe(303)
    expect((await userOf(p.userId))!.state).toBe('inactive')
    expect((await renew(p.token)).status).toBe(401)
    const refused = await login(email)
    expect(refused.status).toBe(403)
    expect(await refused.text()).toContain('This account has been disabled')
    // Their LoginRocket session is over too: the browser that signed up is asked to log in.
    expect((await p.client.get(`/login?${back}`)).status).toBe(200)
    expect(p.client.browser.lastHtml).toContain('name="password"')
    expect((await eventsOf(p.userId, 'user.updated'))[0]).toMatchObject({ adminId, data: { changed: ['state'], state: 'inactive' } })
    expect((await eventsOf(p.userId, 'session.deleted'))[0]).toMatchObject({ adminId, data: { reason: 'admin' } })

    await client.get(`${userUrl(p.userId)}?done=disabled`)
    expect(client.browser.lastHtml).toContain('Disabled')
    expect(client.browser.lastHtml).toContain(`action="${userUrl(p.userId)}/enable"`)
    // A reset link would not work for a disabled user, so none is sent.
    expect((await client.post(`${userUrl(p.userId)}/password-reset`, {})).status).toBe(400)

    res = await client.post(`${userUrl(p.userId)}/enable`, {})
    expect(res.status).toBe(303)
    expect((await userOf(p.userId))!.state).toBe('active')
    expect((await eventsOf(p.userId, 'user.updated'))[0]).toMatchObject({ adminId, data: { changed: ['state'], state: 'active' } })
    const again = await login(email)
    expect(again.status).toBe(303)
    expect((await renew(tokenFrom(again))).status).toBe(200)
    await settle()
    expect(smtp.to(email)).toHaveLength(1)
  })

  it('deleting needs the typed email and another owner for each shared account she owns, then leaves nothing of the user behind', async () => {
    const email = 'dora.delete@example.com'
    const dora = await person(email, { first_name: 'Dora', last_name: 'Delete' })
    const owen = await person('owen.owner@example.com', { first_name: 'Owen', last_name: 'Owner' })
    // Dora is a member of Owen's account, and the only owner of one Owen is a member of.
    await addMember(server, owen.orgId, dora.userId, ['forum:moderator'])
    const shared = await services().accounts.create(realm, (await userOf(dora.userId))!, 'Dora Shared Space', new Date())
    const owenThere = await addMember(server, shared.org.id, owen.userId, [])
    // An invitation Dora sent, and a reset link she was mailed.
    const invitationId = newId('nvt')
    const now = new Date()
    await db()
      .insertInto('invitations')
      .values({
        id: invitationId,
        realm_id: realm.id,
        org_id: owen.orgId,
        email: 'invitee@example.com',
        email_normalized: 'invitee@example.com',
        permissions: '[]',
        inviter_user_id: dora.userId,
        token_hash: randomBytes(32).toString('hex'),
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + 86_400_000).toISOString(),
        accepted_at: null,
        revoked_at: null,
      })
      .execute()
    await services().links.create('password_reset', { realmId: realm.id, userId: dora.userId, email }, now)
    const client = await admin()

    expect((await client.get(`${userUrl(dora.userId)}/delete`)).status).toBe(200)
    let html = client.browser.lastHtml
    expect(html).toContain('Accounts with no other member are deleted, with their invitations: Dora Delete.')
    expect(html).toContain('is the only owner of accounts that other people share')
    expect(html).toContain(`<a href="/admin/realms/${realm.id}/accounts/${shared.org.id}">Dora Shared Space</a>`)
    expect(html).toContain('<label for="confirm_email">')

    for (const typed of ['', 'owen.owner@example.com']) {
      const res = await client.post(`${userUrl(dora.userId)}/delete`, { confirm_email: typed })
      expect(res.status).toBe(422)
      expect(client.browser.lastHtml).toContain('id="confirm_email-error"')
      expect(await userOf(dora.userId)).not.toBeNull()
    }
    expect((await renew(dora.token)).status).toBe(200)

    // Typed right, but Dora is still the only owner of Dora Shared Space: refused, nothing deleted.
    const refused = await client.post(`${userUrl(dora.userId)}/delete`, { confirm_email: email })
    expect(refused.status).toBe(409)
    expect(client.browser.lastHtml).toContain('Make another member an owner of each first')
    expect(await userOf(dora.userId)).not.toBeNull()
    expect((await db().selectFrom('memberships').select('id').where('user_id', '=', dora.userId).execute()).length).toBe(3)

    await setPermissionsInDb(server, owenThere, ['ar:owner'])
    const res = await client.post(`${userUrl(dora.userId)}/delete`, { confirm_email: ' DORA.DELETE@example.com ' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`/admin/realms/${realm.id}/users?deleted=1`)

    expect(await userOf(dora.userId)).toBeNull()
    const left = async (table: 'sessions' | 'one_time_tokens' | 'memberships') =>
      (await db().selectFrom(table).select('id').where('user_id', '=', dora.userId).execute()).length
    expect(await left('sessions')).toBe(0)
    expect(await left('one_time_tokens')).toBe(0)
    expect(await left('memberships')).toBe(0)
    // Her personal account is gone; the shared ones stay with their other members.
    expect(await db().selectFrom('orgs').select('id').where('id', '=', dora.orgId).executeTakeFirst()).toBeUndefined()
    expect((await services().accounts.list(realm, (await userOf(owen.userId))!)).map((m) => m.org.name).sort()).toEqual(['Dora Shared Space', 'Owen Owner'])
    const invitation = await db().selectFrom('invitations').selectAll().where('id', '=', invitationId).executeTakeFirstOrThrow()
    expect(invitation.inviter_user_id).toBeNull()
    expect(invitation.revoked_at).toBeNull()

    expect((await renew(dora.token)).status).toBe(401)
    expect((await login(email)).status).toBe(401)
    const [event] = await eventsOf(dora.userId, 'user.deleted')
    expect(event).toMatchObject({ adminId, data: { email, deleted_accounts: [dora.orgId] } })
    expect((await client.get(userUrl(dora.userId))).status).toBe(404)
    await client.get(`/admin/realms/${realm.id}/users?deleted=1`)
    html = client.browser.lastHtml
    expect(html).toContain('The user was deleted.')
  })

  it('mails a password reset link that sets a new password', async () => {
    const email = 'forgetful@example.com'
    const p = await person(email)
    const client = await admin()
    await client.get(userUrl(p.userId))

    const res = await client.post(`${userUrl(p.userId)}/password-reset`, {})
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`${userUrl(p.userId)}?done=reset_sent`)
    const mail = await smtp.waitFor(email, 2)
    expect(mail.subject).toBe('Reset your Users Realm password')
    const link = linkIn(mail.text, server.url, '/reset')
    expect((await eventsOf(p.userId, 'user.password.resetting'))[0]).toMatchObject({ adminId, data: { email } })

    const browser = new Client(server)
    expect((await browser.get(link.pathname + link.search)).status).toBe(200)
    const reset = await browser.post('/reset', { token: link.searchParams.get('token')!, new_password: 'a brand new password' })
    expect(reset.status).toBe(303)
    expect((await login(email, 'a brand new password')).status).toBe(303)
    expect((await login(email, PASSWORD)).status).toBe(401)
  })

  it('resends the confirmation email, whose link confirms the address', async () => {
    const email = 'unconfirmed@example.com'
    const p = await person(email)
    const first = linkIn((await smtp.waitFor(email, 1)).text, server.url, '/verify')
    const client = await admin()
    await client.get(userUrl(p.userId))
    expect(client.browser.lastHtml).toContain(`action="${userUrl(p.userId)}/verification"`)

    const res = await client.post(`${userUrl(p.userId)}/verification`, {})
    expect(res.status).toBe(303)
    const mail = await smtp.waitFor(email, 2)
    expect(mail.subject).toBe('Confirm your email address for Users Realm')
    expect((await eventsOf(p.userId, 'user.email.verifying'))[0]).toMatchObject({ adminId, data: { email } })

    const browser = new Client(server)
    // Only the newest link works.
    expect((await browser.get(first.pathname + first.search)).status).toBe(410)
    const link = linkIn(mail.text, server.url, '/verify')
    expect((await browser.get(link.pathname + link.search)).status).toBe(200)
    expect(browser.browser.lastHtml).toContain('Email address confirmed')
    expect((await userOf(p.userId))!.emailVerifiedAt).not.toBeNull()

    await client.get(userUrl(p.userId))
    expect(client.browser.lastHtml).toContain('(confirmed)')
    expect(client.browser.lastHtml).not.toContain(`action="${userUrl(p.userId)}/verification"`)
    expect((await client.post(`${userUrl(p.userId)}/verification`, {})).status).toBe(400)
  })

  it('another realm’s users, unknown ids and unknown realms are not found, and nothing changes', async () => {
    const stranger = await insertUser(other.id, 'other.realm@example.com', new Date())
    const client = await admin()
    await client.get(`/admin/realms/${realm.id}/users`)
    const paths = [`/admin/realms/${realm.id}/users/${stranger.id}`, `/admin/realms/${realm.id}/users/usr_unknown`, `/admin/realms/${realm.id}/users/${'x'.repeat(500)}`]
    for (const path of paths) {
      expect((await client.get(path)).status, path).toBe(404)
      expect((await client.get(`${path}/delete`)).status, path).toBe(404)
      for (const action of ['edit', 'disable', 'enable', 'delete', 'password-reset', 'verification', 'sessions/revoke-all']) {
        const res = await client.post(`${path}/${action}`, { email: 'x@example.com', confirm_email: 'other.realm@example.com' })
        expect(res.status, `${path}/${action}`).toBe(404)
      }
    }
    expect(await users().byId(other.id, stranger.id)).toEqual(stranger)
    expect((await client.get(`/admin/realms/rl_unknown/users`)).status).toBe(404)
    expect((await client.get(`/admin/realms/${other.id}/users/${stranger.id}`)).status).toBe(200)
    // Actions are forms: GET on them is not a page.
    expect((await client.get(`/admin/realms/${other.id}/users/${stranger.id}/disable`)).status).toBe(404)
  })
})
