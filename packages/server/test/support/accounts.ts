import { expect } from 'vitest'
import { newId } from '../../src/crypto/ids.js'
import { toDbTime } from '../../src/db/convert.js'
import { claimsOf, tokenFrom } from './browser.js'
import { Client } from './client.js'
import { readJson } from './json.js'
import type { TestServer } from './server.js'

export const APP = 'http://localhost:3000'
export const PASSWORD = 'correct horse battery'
export const back = `redirect_uri=${encodeURIComponent(APP)}`

/** A user signed up over HTTP, logged in in `client`, with the account their signup made. */
export interface Person {
  client: Client
  email: string
  userId: string
  token: string
  orgId: string
  membershipId: string
}

/**
 * Signs a user up from a client of its own (its own address, so per-address limits don't add up across
 * tests); `headers` go with every request (X-Forwarded-Host picks another realm on a trustProxy server).
 */
export async function signUp(server: TestServer, email: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Person> {
  const client = new Client(server)
  await client.get(`/signup?${back}`, headers)
  const res = await client.post(`/signup?${back}`, { email, password: PASSWORD, first_name: 'Test', last_name: 'User', ...fields }, headers)
  expect(res.status).toBe(303)
  const token = tokenFrom(res)
  const claims = claimsOf(token)
  return { client, email, userId: claims.sub, token, orgId: claims.orgs?.[0]?.oid, membershipId: claims.orgs?.[0]?.mid }
}

/**
 * Marks a person's email address confirmed straight in the database, as opening their verification link would:
 * only people with a confirmed address may send invitations.
 */
export async function confirmEmail(server: TestServer, person: Pick<Person, 'userId'>): Promise<void> {
  await server.booted.services.db.kysely.updateTable('users').set({ email_verified_at: toDbTime(new Date()) }).where('id', '=', person.userId).execute()
}

/** Makes a user a member of an account straight in the database; returns the membership id. */
export async function addMember(server: TestServer, orgId: string, userId: string, permissions: string[]): Promise<string> {
  const db = server.booted.services.db.kysely
  const org = await db.selectFrom('orgs').select('realm_id').where('id', '=', orgId).executeTakeFirstOrThrow()
  const id = newId('mb')
  const now = new Date().toISOString()
  await db
    .insertInto('memberships')
    .values({ id, realm_id: org.realm_id, org_id: orgId, user_id: userId, permissions: JSON.stringify(permissions), selected: 0, created_at: now, updated_at: now })
    .execute()
  return id
}

/** The account's memberships as stored: id, user and permissions. */
export async function membershipsOf(server: TestServer, orgId: string): Promise<{ id: string; userId: string; permissions: string[] }[]> {
  const rows = await server.booted.services.db.kysely.selectFrom('memberships').selectAll().where('org_id', '=', orgId).orderBy('id').execute()
  return rows.map((row) => ({ id: row.id, userId: row.user_id, permissions: JSON.parse(row.permissions) as string[] }))
}

export async function setPermissionsInDb(server: TestServer, membershipId: string, permissions: string[]): Promise<void> {
  await server.booted.services.db.kysely.updateTable('memberships').set({ permissions: JSON.stringify(permissions) }).where('id', '=', membershipId).execute()
}

/** The claims of a renewed token (POST /connect/renew), as an app's middleware would get them. */
export async function renewedClaims(server: TestServer, token: string, headers: Record<string, string> = {}): Promise<Record<string, any>> {
  const res = await fetch(`${server.url}/connect/renew`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers } })
  expect(res.status).toBe(200)
  return claimsOf((await readJson(res)).token)
}
