import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Actor } from '../src/domain/actor.js'
import type { StoredEvent } from '../src/domain/event.js'
import type { Realm } from '../src/domain/realm.js'
import type { User } from '../src/domain/user.js'
import { createRealm, rotateRealmKey, updateRealmSettings } from '../src/services/realms.js'
import { addMember, APP, confirmEmail, signUp } from './support/accounts.js'
import { DIALECTS } from './support/dialects.js'
import { startServer, type TestServer } from './support/server.js'

const ADMIN_IP = '192.0.2.10'
const USER_IP = '198.51.100.20'
const CLI: Actor = { kind: 'cli' }

// Each operation is one service call that records its own events: the portal, the hosted pages and the CLI
// call the same one, so they record the same events. Here each is called straight on the services.
describe.each(DIALECTS)('the events each service operation records, on %s', (dialect) => {
  let server: TestServer
  let realm: Realm
  let admin: Actor
  const services = () => server.booted.services
  const now = () => services().clock()

  beforeAll(async () => {
    server = await startServer({ dialect, settings: [`login_urls=${APP}`, 'org_mode=multi_user'] })
    // Read again: the realm as the settings above left it.
    realm = (await services().realms.byId(server.booted.realm.id))!
    const created = await services().admins.create('operations-admin@example.com', 'admin password 123', null, new Date())
    if (!created.ok) throw new Error('admin not created')
    admin = { kind: 'admin', adminId: created.value.id, ip: ADMIN_IP }
  })
  afterAll(() => server.close())

  /** The events `work` recorded in the realm, oldest first. */
  async function recorded(realmId: string, work: () => Promise<unknown>): Promise<StoredEvent[]> {
    const [newest] = await services().events.list({ realmId, limit: 1 })
    await work()
    const events = await services().events.list({ realmId, limit: 100 })
    return events.filter((event) => event.id > (newest?.id ?? 0)).reverse()
  }
  const types = (events: StoredEvent[]) => events.map((event) => event.type)

  async function person(email: string): Promise<{ user: User; orgId: string; membershipId: string; actor: Actor }> {
    const signedUp = await signUp(server, email)
    const user = (await services().users.byId(realm, signedUp.userId))!
    return { user, orgId: signedUp.orgId, membershipId: signedUp.membershipId, actor: { kind: 'user', userId: user.id, ip: USER_IP } }
  }

  it('realm operations record admin.realm.*, naming the admin, or the CLI as via: cli', async () => {
    let created: Realm | undefined
    const creation = await recorded(realm.id, async () => {
      created = await createRealm(services(), 'Operations', 'http://login.operations.test', CLI)
    })
    expect(creation).toEqual([])
    const own = await services().events.list({ realmId: created!.id, limit: 10 })
    expect(types(own)).toEqual(['admin.realm.created'])
    expect(own[0]).toMatchObject({ adminId: null, ip: null, data: { name: 'Operations', loginrocket_url: 'http://login.operations.test', via: 'cli' } })

    const settings = { ...created!.settings, name: 'Renamed' }
    const update = await recorded(created!.id, () => updateRealmSettings(services(), created!, settings, { actor: admin, changed: ['name'] }, now()))
    expect(types(update)).toEqual(['admin.realm.updated'])
    expect(update[0]).toMatchObject({ adminId: (admin as { adminId: string }).adminId, ip: ADMIN_IP, data: { changed: ['name'] } })

    const rotation = await recorded(created!.id, () => rotateRealmKey(services(), created!, CLI, now()))
    expect(types(rotation)).toEqual(['admin.realm.key.rotated'])
    expect(rotation[0]!.data).toMatchObject({ via: 'cli' })
  })

  it('a failed login records user.login.failed with the visitor’s address; a new name, user.updated; a logout, session.deleted', async () => {
    const { user } = await person('operations-login@example.com')
    const failed = await recorded(realm.id, () => services().users.login(realm, user.email, 'not the password', { kind: 'visitor', ip: USER_IP }, now()))
    expect(types(failed)).toEqual(['user.login.failed'])
    expect(failed[0]).toMatchObject({ userId: user.id, ip: USER_IP, data: { email: user.email, reason: 'invalid' } })

    const actor: Actor = { kind: 'user', userId: user.id, ip: USER_IP }
    const renamed = await recorded(realm.id, () => services().users.updateNames(realm, user, 'Renamed', user.lastName ?? '', actor, now()))
    expect(types(renamed)).toEqual(['user.updated'])
    expect(renamed[0]).toMatchObject({ userId: user.id, ip: USER_IP, data: { changed: ['first_name'] } })

    const { session } = await services().sessions.logIn(realm, user, { previousSecret: undefined, userAgent: null, ip: USER_IP }, now())
    const loggedOut = await recorded(realm.id, () => services().sessions.logOut(session, { kind: 'user', userId: user.id, ip: USER_IP }, now()))
    expect(types(loggedOut)).toEqual(['session.deleted'])
    expect(loggedOut[0]).toMatchObject({ userId: user.id, sessionId: session.id, ip: USER_IP, data: { reason: 'logout' } })
  })

  it('account management by its members records org.* and membership.*, naming the member who did it', async () => {
    const owner = await person('operations-owner@example.com')
    const member = await person('operations-member@example.com')
    const leaver = await person('operations-leaver@example.com')
    const memberId = await addMember(server, owner.orgId, member.user.id, [])
    await addMember(server, owner.orgId, leaver.user.id, [])
    const manage = services().accountManagement
    const access = await manage.access(realm, owner.user, owner.orgId)

    expect(types(await recorded(realm.id, () => manage.rename(realm, access, 'Operations Team', owner.actor, now())))).toEqual(['org.updated'])
    const permissions = await recorded(realm.id, () => manage.setPermissions(realm, owner.user, owner.orgId, memberId, ['ar:admin'], owner.actor, now()))
    expect(types(permissions)).toEqual(['membership.updated'])
    expect(permissions[0]).toMatchObject({ userId: member.user.id, ip: USER_IP, data: { by_user_id: owner.user.id } })
    expect(types(await recorded(realm.id, () => manage.remove(realm, owner.user, owner.orgId, memberId, owner.actor, now())))).toEqual(['membership.deleted'])
    expect(types(await recorded(realm.id, () => manage.leave(realm, leaver.user, owner.orgId, leaver.actor, now())))).toEqual(['membership.deleted'])
    expect(types(await recorded(realm.id, () => manage.close(realm, owner.user, owner.orgId, true, owner.actor, now())))).toEqual(['org.closed'])
    // A refused change records nothing.
    expect(await recorded(realm.id, () => manage.leave(realm, member.user, member.orgId, member.actor, now()))).toEqual([])
  })

  it('account management in the portal records the same events, naming the admin', async () => {
    const owner = await person('operations-portal-owner@example.com')
    const member = await person('operations-portal-member@example.com')
    const memberId = await addMember(server, owner.orgId, member.user.id, [])
    const manage = services().accountManagement

    const renamed = await recorded(realm.id, () => manage.renameAsAdmin(realm, owner.orgId, 'Portal Team', admin, now()))
    expect(types(renamed)).toEqual(['org.updated'])
    expect(renamed[0]).toMatchObject({ adminId: (admin as { adminId: string }).adminId, ip: ADMIN_IP })
    // The same name again changes nothing, and records nothing.
    expect(await recorded(realm.id, () => manage.renameAsAdmin(realm, owner.orgId, 'Portal Team', admin, now()))).toEqual([])
    expect(types(await recorded(realm.id, () => manage.setPermissionsAsAdmin(realm, owner.orgId, memberId, ['ar:admin'], admin, now())))).toEqual(['membership.updated'])
    expect(types(await recorded(realm.id, () => manage.removeAsAdmin(realm, owner.orgId, memberId, true, admin, now())))).toEqual(['membership.deleted'])
    expect(types(await recorded(realm.id, () => manage.closeAsAdmin(realm, owner.orgId, true, admin, now())))).toEqual(['org.closed'])
    expect(types(await recorded(realm.id, () => manage.reopenAsAdmin(realm, owner.orgId, admin, now())))).toEqual(['org.reopened'])
  })

  it('invitations record invitation.org.created and .revoked, naming the member or the admin', async () => {
    const owner = await person('operations-inviter@example.com')
    await confirmEmail(server, { userId: owner.user.id })
    const inviter = (await services().users.byId(realm, owner.user.id))!
    const access = await services().accountManagement.access(realm, inviter, owner.orgId)
    const invite = (email: string) => services().invitations.create(realm, access, inviter, { email, permissions: [] }, owner.actor, now())
    let invitationId = ''
    const created = await recorded(realm.id, async () => {
      const sent = await invite('operations-invitee@example.com')
      if (sent.ok) invitationId = sent.value.invitation.id
    })
    expect(types(created)).toEqual(['invitation.org.created'])
    expect(created[0]).toMatchObject({ userId: inviter.id, ip: USER_IP, data: { invitation_id: invitationId } })
    const revoked = await recorded(realm.id, () => services().invitations.revoke(realm, access, invitationId, owner.actor, now()))
    expect(types(revoked)).toEqual(['invitation.org.revoked'])
    expect(revoked[0]).toMatchObject({ userId: inviter.id, ip: USER_IP })

    const second = await invite('operations-invitee-2@example.com')
    if (!second.ok) throw new Error('invitation not created')
    const byAdmin = await recorded(realm.id, () => services().invitations.revokeIn(realm, access.org, second.value.invitation.id, admin, now()))
    expect(types(byAdmin)).toEqual(['invitation.org.revoked'])
    expect(byAdmin[0]).toMatchObject({ userId: null, ip: ADMIN_IP })
    // Revoked already: nothing happens, nothing is recorded.
    expect(await recorded(realm.id, () => services().invitations.revokeIn(realm, access.org, second.value.invitation.id, admin, now()))).toEqual([])
  })

  it('admin user edits record user.updated, session.deleted and user.deleted, naming the admin', async () => {
    const { user } = await person('operations-edited@example.com')
    const adminUsers = services().adminUsers
    const edit = { email: user.email, first_name: 'Edited', last_name: 'User', username: '', locale: '' }
    const updated = await recorded(realm.id, () => adminUsers.update(realm, user, edit, admin, now()))
    expect(types(updated)).toEqual(['user.updated'])
    expect(updated[0]).toMatchObject({ userId: user.id, adminId: (admin as { adminId: string }).adminId, data: { changed: ['first_name'] } })

    // The signup's session is live: disabling ends it.
    expect(types(await recorded(realm.id, () => adminUsers.setState(realm, user, 'inactive', admin, now())))).toEqual(['user.updated', 'session.deleted'])
    const enabled = { ...user, state: 'inactive' as const }
    expect(types(await recorded(realm.id, () => adminUsers.setState(realm, enabled, 'active', admin, now())))).toEqual(['user.updated'])

    const client = { previousSecret: undefined, userAgent: null, ip: USER_IP }
    const { session } = await services().sessions.logIn(realm, user, client, now())
    expect(types(await recorded(realm.id, () => adminUsers.revokeSession(realm, user, session.id, admin, now())))).toEqual(['session.deleted'])
    await services().sessions.logIn(realm, user, client, now())
    await services().sessions.logIn(realm, user, client, now())
    expect(types(await recorded(realm.id, () => adminUsers.revokeAll(realm, user, admin, now())))).toEqual(['session.deleted', 'session.deleted'])
    expect(types(await recorded(realm.id, () => adminUsers.remove(realm, user, admin, now())))).toEqual(['user.deleted'])
  })
})

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src')

/**
 * Routes and the CLI that still record events themselves, each to be moved into its service, never added to:
 * the password reset, email verification and email change pages, the profile, the portal's reset and verification
 * mails, and the admins' own
 * (setup, login, the CLI's admin commands). The test fails when one of these stops, so it is struck here.
 */
const KNOWN = new Set([
  'cli/run.ts',
  'routes/admin/session.tsx',
  'routes/admin/setup.tsx',
  'routes/admin/users.tsx',
  'routes/hosted/password-reset.tsx',
  'routes/hosted/profile.tsx',
  'routes/hosted/verify.tsx',
])

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.tsx?$/.test(entry.name) ? [path] : []
  })
}

describe('where events are recorded', () => {
  it('routes and the CLI leave recording to the services, but for the known ones left', () => {
    const recording = ['routes', 'cli']
      .flatMap((dir) => sourceFiles(join(SRC, dir)))
      .filter((file) => /\brecord(Admin)?Event\(|\bevents\.record\(/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file))
      .sort()
    expect(recording).toEqual([...KNOWN].sort())
  })
})
