import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP, PASSWORD, back, confirmEmail, signUp } from './support/accounts.js'
import { tokenFrom } from './support/browser.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { startServer, type TestServer } from './support/server.js'

const ADMIN_EMAIL = 'admin@example.com'
const SETTINGS = [`login_urls=${APP}`, 'org_mode=multi_user', 'signup=open', 'email_verification=optional']

/**
 * A write that fails in the middle of a multi-row operation (a real database fault: a trigger that raises) must
 * leave nothing of it behind: no user without an account or without their `user.created` event, no account
 * without a member, no membership without its event. Each operation is one transaction.
 */
describe.each(DIALECTS)('a failure in the middle of a multi-row operation on %s', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startServer({ dialect, trustProxy: true, settings: SETTINGS })
    const created = await server.booted.services.admins.create(ADMIN_EMAIL, PASSWORD, null, new Date())
    if (!created.ok) throw new Error('admin not created')
  })
  afterAll(() => server?.close())

  const db = () => server.booted.services.db.kysely
  let n = 0
  const email = (who: string) => `${who}-${++n}@example.com`

  /** Makes inserts (or updates) of `table` fail where `condition` holds (SQL over NEW), until `heal` is called. */
  async function fault(table: string, condition: string, on: 'insert' | 'update' = 'insert'): Promise<{ heal(): Promise<void> }> {
    const name = `fault_${table}_${n}`
    if (dialect === 'sqlite') {
      await sql.raw(`create trigger ${name} before ${on} on ${table} when ${condition} begin select raise(abort, 'injected fault'); end`).execute(db())
      return { heal: async () => void (await sql.raw(`drop trigger ${name}`).execute(db())) }
    }
    await sql.raw(`create function ${name}() returns trigger language plpgsql as $$ begin if ${condition} then raise exception 'injected fault'; end if; return new; end $$`).execute(db())
    await sql.raw(`create trigger ${name} before ${on} on ${table} for each row execute function ${name}()`).execute(db())
    return {
      heal: async () => {
        await sql.raw(`drop trigger ${name} on ${table}`).execute(db())
        await sql.raw(`drop function ${name}()`).execute(db())
      },
    }
  }

  const count = async (table: 'users' | 'orgs' | 'memberships' | 'events' | 'one_time_tokens' | 'sessions') =>
    Number((await db().selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
  const counts = async () => ({
    users: await count('users'),
    orgs: await count('orgs'),
    memberships: await count('memberships'),
    events: await count('events'),
    links: await count('one_time_tokens'),
    sessions: await count('sessions'),
  })

  it('a signup whose membership insert fails leaves no user, account, link or event, answers an error page, and can be retried', async () => {
    const who = email('fail')
    const injected = await fault('memberships', `(select email from users where id = NEW.user_id) = '${who}'`)
    const before = await counts()
    const client = new Client(server)
    await client.get(`/signup?${back}`)
    const res = await client.post(`/signup?${back}`, { email: who, password: PASSWORD, first_name: 'Half', last_name: 'Written', account_name: 'Half Co' })
    expect(res.status).toBe(500)
    expect(await res.text()).toContain('Something went wrong')
    expect(res.headers.get('set-cookie') ?? '').not.toMatch(/session/i)
    expect(await counts()).toEqual(before)
    expect(await db().selectFrom('users').select('id').where('email', '=', who).executeTakeFirst()).toBeUndefined()
    expect(await db().selectFrom('orgs').select('id').where('name', '=', 'Half Co').executeTakeFirst()).toBeUndefined()

    await injected.heal()
    const again = await client.post(`/signup?${back}`, { email: who, password: PASSWORD, first_name: 'Half', last_name: 'Written', account_name: 'Half Co' })
    expect(again.status).toBe(303)
    expect(tokenFrom(again)).toBeTruthy()
    const user = await db().selectFrom('users').select('id').where('email', '=', who).executeTakeFirstOrThrow()
    const memberships = await db().selectFrom('memberships').innerJoin('orgs', 'orgs.id', 'memberships.org_id').select('orgs.name').where('user_id', '=', user.id).execute()
    expect(memberships).toEqual([{ name: 'Half Co' }])
    const types = (await db().selectFrom('events').select('event_type').where('user_id', '=', user.id).orderBy('id').execute()).map((e) => e.event_type)
    expect(types).toEqual(['user.created', 'org.created', 'membership.created', 'user.email.verifying', 'user.login.succeeded'])
  })

  it('a signup whose user.created event fails leaves no user behind (the log misses nothing that exists)', async () => {
    const who = email('noevent')
    const injected = await fault('events', `NEW.event_type = 'user.created' and NEW.data like '%${who}%'`)
    const before = await counts()
    const client = new Client(server)
    await client.get(`/signup?${back}`)
    const res = await client.post(`/signup?${back}`, { email: who, password: PASSWORD, first_name: 'No', last_name: 'Event', account_name: 'Quiet' })
    expect(res.status).toBe(500)
    expect(await counts()).toEqual(before)
    await injected.heal()
  })

  it('a signup by invitation whose membership insert fails leaves no user and the invitation unused', async () => {
    const owner = await signUp(server, email('owner'), { account_name: 'Inviting' })
    await confirmEmail(server, owner)
    const to = email('invitee')
    const realm = (await server.booted.services.realms.byId(server.booted.realm.id))!
    const access = await server.booted.services.accountManagement.access(realm, (await server.booted.services.users.byId(realm, owner.userId))!, owner.orgId)
    const sent = await server.booted.services.invitations.create(realm, access, (await server.booted.services.users.byId(realm, owner.userId))!, { email: to, permissions: [] }, { kind: 'user', userId: owner.userId, ip: null }, new Date())
    if (!sent.ok) throw new Error('invitation not created')
    const injected = await fault('memberships', `(select email from users where id = NEW.user_id) = '${to}'`)
    const before = await counts()
    const invitee = new Client(server)
    await invitee.get(`/signup?invitation=${sent.value.secret}&${back}`)
    const res = await invitee.post(`/signup?${back}`, { invitation: sent.value.secret, password: PASSWORD, first_name: 'In', last_name: 'Vited' })
    expect(res.status).toBe(500)
    expect(await counts()).toEqual(before)
    expect((await db().selectFrom('invitations').select('accepted_at').where('id', '=', sent.value.invitation.id).executeTakeFirstOrThrow()).accepted_at).toBeNull()

    await injected.heal()
    const again = await invitee.post(`/signup?${back}`, { invitation: sent.value.secret, password: PASSWORD, first_name: 'In', last_name: 'Vited' })
    expect(again.status).toBe(303)
    const user = await db().selectFrom('users').select('id').where('email', '=', to).executeTakeFirstOrThrow()
    expect(await db().selectFrom('memberships').select('org_id').where('user_id', '=', user.id).execute()).toEqual([{ org_id: owner.orgId }])
  })

  it('an invitation accepted whose event fails adds no membership and leaves the invitation usable', async () => {
    const owner = await signUp(server, email('owner'), { account_name: 'Joining' })
    await confirmEmail(server, owner)
    const invitee = await signUp(server, email('member'), { account_name: 'Own' })
    const realm = (await server.booted.services.realms.byId(server.booted.realm.id))!
    const ownerUser = (await server.booted.services.users.byId(realm, owner.userId))!
    const access = await server.booted.services.accountManagement.access(realm, ownerUser, owner.orgId)
    const sent = await server.booted.services.invitations.create(realm, access, ownerUser, { email: invitee.email, permissions: [] }, { kind: 'user', userId: owner.userId, ip: null }, new Date())
    if (!sent.ok) throw new Error('invitation not created')
    const injected = await fault('events', `NEW.event_type = 'invitation.org.accepted'`)
    const before = await counts()
    const res = await invitee.client.get(`/invitations/accept?token=${sent.value.secret}`)
    expect(res.status).toBe(500)
    expect(await counts()).toEqual(before)
    expect(await db().selectFrom('memberships').select('id').where('org_id', '=', owner.orgId).where('user_id', '=', invitee.userId).executeTakeFirst()).toBeUndefined()

    await injected.heal()
    const again = await invitee.client.get(`/invitations/accept?token=${sent.value.secret}`)
    expect(again.status).toBe(303)
    expect(await db().selectFrom('memberships').select('id').where('org_id', '=', owner.orgId).where('user_id', '=', invitee.userId).executeTakeFirst()).toBeDefined()
  })

  it('a new account whose membership insert fails leaves no account without members', async () => {
    const person = await signUp(server, email('creator'), { account_name: 'First' })
    const injected = await fault('memberships', `(select email from users where id = NEW.user_id) = '${person.email}'`)
    const before = await counts()
    await person.client.get('/accounts')
    const res = await person.client.post('/accounts/new', { account_name: 'Second' })
    expect(res.status).toBe(500)
    expect(await counts()).toEqual(before)
    expect(await db().selectFrom('orgs').select('id').where('name', '=', 'Second').executeTakeFirst()).toBeUndefined()
    await injected.heal()
  })

  it('an account closed whose org.closed event fails stays open', async () => {
    const owner = await signUp(server, email('closer'), { account_name: 'Closing' })
    const injected = await fault('events', `NEW.event_type = 'org.closed'`)
    await owner.client.get(`/accounts/${owner.orgId}`)
    const res = await owner.client.post(`/accounts/${owner.orgId}/close`, { confirm: 'yes' })
    expect(res.status).toBe(500)
    expect((await db().selectFrom('orgs').select('state').where('id', '=', owner.orgId).executeTakeFirstOrThrow()).state).toBe('active')

    await injected.heal()
    expect((await owner.client.post(`/accounts/${owner.orgId}/close`, { confirm: 'yes' })).status).toBe(303)
    expect((await db().selectFrom('orgs').select('state').where('id', '=', owner.orgId).executeTakeFirstOrThrow()).state).toBe('closed')
    expect(await db().selectFrom('events').select('id').where('event_type', '=', 'org.closed').where('org_id', '=', owner.orgId).execute()).toHaveLength(1)
  })

  it('a user deleted in the admin portal whose user.deleted event fails is still there, with their account', async () => {
    const person = await signUp(server, email('deleted'), { account_name: 'Doomed' })
    const admin = new Client(server)
    await admin.get('/admin/login')
    expect((await admin.post('/admin/login', { email: ADMIN_EMAIL, password: PASSWORD })).status).toBe(303)
    const page = `/admin/realms/${server.booted.realm.id}/users/${person.userId}/delete`
    const injected = await fault('events', `NEW.event_type = 'user.deleted'`)
    const before = await counts()
    await admin.get(page)
    expect((await admin.post(page, { confirm_email: person.email })).status).toBe(500)
    expect(await counts()).toEqual(before)

    await injected.heal()
    expect((await admin.post(page, { confirm_email: person.email })).status).toBe(303)
    expect(await db().selectFrom('users').select('id').where('id', '=', person.userId).executeTakeFirst()).toBeUndefined()
    expect(await db().selectFrom('orgs').select('id').where('id', '=', person.orgId).executeTakeFirst()).toBeUndefined()
    expect(await db().selectFrom('events').select('id').where('event_type', '=', 'user.deleted').where('user_id', '=', person.userId).execute()).toHaveLength(1)
  })

  it('a password change whose ending of the other sessions fails keeps the old password (no new password with the old sessions alive)', async () => {
    const person = await signUp(server, email('changer'), { account_name: 'Changing' })
    const other = new Client(server)
    await other.get('/login')
    expect((await other.post('/login', { email: person.email, password: PASSWORD })).status).toBe(303)
    const hash = async () => (await db().selectFrom('users').select('password_hash').where('id', '=', person.userId).executeTakeFirstOrThrow()).password_hash
    const before = await hash()
    const injected = await fault('sessions', `NEW.ended_at is not null and NEW.user_id = '${person.userId}'`, 'update')
    await person.client.get('/profile')
    expect((await person.client.post('/profile/password', { current_password: PASSWORD, new_password: 'a brand new secret' })).status).toBe(500)
    expect(await hash()).toBe(before)

    await injected.heal()
    expect((await person.client.post('/profile/password', { current_password: PASSWORD, new_password: 'a brand new secret' })).status).toBe(303)
    expect(await hash()).not.toBe(before)
    const live = await db().selectFrom('sessions').select('id').where('user_id', '=', person.userId).where('ended_at', 'is', null).execute()
    expect(live).toHaveLength(1)
  })

  it('an email change whose ending of the other sessions fails keeps the old address and sends no undo link', async () => {
    const person = await signUp(server, email('mover'), { account_name: 'Moving' })
    const to = email('moved')
    await person.client.get('/profile')
    expect((await person.client.post('/profile/email', { email: to, email_password: PASSWORD })).status).toBe(303)
    // No AIRLOCK_SMTP_URL: the mail is in the outbox, link and all.
    const mail = await db().selectFrom('mails').select('text_body').where('to_address', '=', to).orderBy('id', 'desc').executeTakeFirstOrThrow()
    const link = new URL(/http\S+\/verify\?\S+/.exec(mail.text_body)![0])
    const address = async () => (await db().selectFrom('users').select('email').where('id', '=', person.userId).executeTakeFirstOrThrow()).email
    const injected = await fault('sessions', `NEW.ended_at is not null and NEW.user_id = '${person.userId}'`, 'update')
    const before = await counts()
    expect((await new Client(server).get(`${link.pathname}${link.search}`)).status).toBe(500)
    expect(await address()).toBe(person.email)
    expect({ ...(await counts()), links: 0 }).toEqual({ ...before, links: 0 })
    expect(await db().selectFrom('one_time_tokens').select('id').where('user_id', '=', person.userId).where('purpose', '=', 'email_change_undo').execute()).toEqual([])
    await injected.heal()
  })

  it('a login whose user.login.succeeded event fails starts no session, keeps the last login and the browser\'s session, and can be retried', async () => {
    const person = await signUp(server, email('login'), { account_name: 'Logging' })
    const lastLogin = async () => (await db().selectFrom('users').select('last_login_at').where('id', '=', person.userId).executeTakeFirstOrThrow()).last_login_at
    const liveSessions = async () =>
      (await db().selectFrom('sessions').select('id').where('user_id', '=', person.userId).where('ended_at', 'is', null).execute()).map((row) => row.id)
    const [signupSession] = await liveSessions()
    const loggedInAt = await lastLogin()
    const injected = await fault('events', `NEW.event_type = 'user.login.succeeded' and NEW.user_id = '${person.userId}'`)
    const before = await counts()
    await person.client.get(`/login?${back}&prompt=login`)
    const res = await person.client.post(`/login?${back}`, { email: person.email, password: PASSWORD })
    expect(res.status).toBe(500)
    expect(await res.text()).toContain('Something went wrong')
    expect(res.headers.get('set-cookie') ?? '').not.toMatch(/session/i)
    expect(await counts()).toEqual(before)
    expect(await lastLogin()).toEqual(loggedInAt)
    // The browser's session, which the login would have replaced, is still live.
    expect(await liveSessions()).toEqual([signupSession])

    await injected.heal()
    const again = await person.client.post(`/login?${back}`, { email: person.email, password: PASSWORD })
    expect(again.status).toBe(303)
    expect(tokenFrom(again)).toBeTruthy()
    expect(await lastLogin()).not.toEqual(loggedInAt)
    const [session] = await liveSessions()
    expect(session).toBeDefined()
    expect(session).not.toBe(signupSession)
    const events = await db().selectFrom('events').select(['event_type', 'session_id']).where('user_id', '=', person.userId).where('id', '>', 0).orderBy('id').execute()
    expect(events.slice(-2)).toEqual([
      { event_type: 'session.deleted', session_id: signupSession },
      { event_type: 'user.login.succeeded', session_id: session },
    ])
  })
})
