import { sql, type Kysely, type Selectable } from 'kysely'
import { fromDbBool, fromDbTime, toDbBool, toDbTime } from '../convert.js'
import type { Dialect } from '../migrations/types.js'
import { membershipPermissions, orgCustom } from '../json-column.js'
import { inTransaction } from '../transaction.js'
import type { Database, MembershipTable, OrgTable } from '../schema.js'
import type { Member, Membership, MembershipWithOrg, Org, OrgSummary } from '../../domain/account.js'

export interface OrgSearch {
  /** Text the name contains (any case); '' for every account. */
  name: string
  state: Org['state'] | 'all'
  limit: number
  offset: number
}

type OrgRow = Pick<Selectable<OrgTable>, 'id' | 'realm_id' | 'name' | 'state' | 'reference' | 'custom' | 'created_at'>

const toOrg = (row: OrgRow): Org => ({
  id: row.id,
  realmId: row.realm_id,
  name: row.name,
  state: row.state,
  reference: row.reference,
  custom: orgCustom.read(row.custom, row.id),
  createdAt: fromDbTime(row.created_at),
})

const toMembership = (row: Selectable<MembershipTable>): Membership => ({
  id: row.id,
  realmId: row.realm_id,
  orgId: row.org_id,
  userId: row.user_id,
  permissions: membershipPermissions.read(row.permissions, row.id),
  selected: fromDbBool(row.selected),
  createdAt: fromDbTime(row.created_at),
})

export function accountRepository(db: Kysely<Database>, dialect: Dialect) {
  const memberColumns = ['memberships.id', 'memberships.realm_id', 'memberships.org_id', 'memberships.user_id', 'memberships.permissions', 'memberships.selected', 'memberships.created_at', 'memberships.updated_at'] as const

  return {
    /** Runs `work` in one transaction (the caller's, when this repository is built over one). */
    atomically<T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
      return inTransaction(db, work)
    },

    async insertOrg(org: Org, now: Date, trx: Kysely<Database> = db): Promise<void> {
      await trx
        .insertInto('orgs')
        .values({
          id: org.id,
          realm_id: org.realmId,
          name: org.name,
          state: org.state,
          reference: org.reference,
          custom: orgCustom.write(org.custom),
          created_at: toDbTime(now),
          updated_at: toDbTime(now),
        })
        .execute()
    },

    async insertMembership(membership: Membership, now: Date, trx: Kysely<Database> = db): Promise<void> {
      await trx
        .insertInto('memberships')
        .values({
          id: membership.id,
          realm_id: membership.realmId,
          org_id: membership.orgId,
          user_id: membership.userId,
          permissions: membershipPermissions.write(membership.permissions),
          selected: toDbBool(membership.selected),
          created_at: toDbTime(now),
          updated_at: toDbTime(now),
        })
        .execute()
    },

    async org(realmId: string, orgId: string): Promise<Org | null> {
      const row = await db.selectFrom('orgs').selectAll().where('realm_id', '=', realmId).where('id', '=', orgId).executeTakeFirst()
      return row ? toOrg(row) : null
    },

    /** The user's memberships of active accounts, with their org, by account name. */
    async membershipsOf(realmId: string, userId: string): Promise<MembershipWithOrg[]> {
      const rows = await db
        .selectFrom('memberships')
        .innerJoin('orgs', 'orgs.id', 'memberships.org_id')
        .select([...memberColumns, 'orgs.name as org_name', 'orgs.state as org_state', 'orgs.reference as org_reference', 'orgs.custom as org_custom', 'orgs.created_at as org_created_at'])
        .where('memberships.realm_id', '=', realmId)
        .where('memberships.user_id', '=', userId)
        .where('orgs.state', '=', 'active')
        .orderBy('orgs.name')
        .orderBy('orgs.id')
        .execute()
      return rows.map((row) => ({
        ...toMembership(row),
        org: toOrg({ id: row.org_id, realm_id: row.realm_id, name: row.org_name, state: row.org_state, reference: row.org_reference, custom: row.org_custom, created_at: row.org_created_at }),
      }))
    },

    async membership(realmId: string, orgId: string, userId: string): Promise<Membership | null> {
      const row = await db
        .selectFrom('memberships')
        .selectAll()
        .where('realm_id', '=', realmId)
        .where('org_id', '=', orgId)
        .where('user_id', '=', userId)
        .executeTakeFirst()
      return row ? toMembership(row) : null
    },

    async members(realmId: string, orgId: string): Promise<Member[]> {
      const rows = await db
        .selectFrom('memberships')
        .innerJoin('users', 'users.id', 'memberships.user_id')
        .select([...memberColumns, 'users.email', 'users.first_name', 'users.last_name'])
        .where('memberships.realm_id', '=', realmId)
        .where('memberships.org_id', '=', orgId)
        .orderBy('users.email')
        .execute()
      return rows.map((row) => ({ ...toMembership(row), email: row.email, firstName: row.first_name, lastName: row.last_name }))
    },

    /** Makes one membership the user's current account, and no other. */
    async select(realmId: string, userId: string, membershipId: string, now: Date, outer: Kysely<Database> = db): Promise<void> {
      await inTransaction(outer, async (trx) => {
        await trx
          .updateTable('memberships')
          .set({ selected: toDbBool(false), updated_at: toDbTime(now) })
          .where('realm_id', '=', realmId)
          .where('user_id', '=', userId)
          .where('selected', '=', toDbBool(true))
          .execute()
        await trx
          .updateTable('memberships')
          .set({ selected: toDbBool(true), updated_at: toDbTime(now) })
          .where('realm_id', '=', realmId)
          .where('user_id', '=', userId)
          .where('id', '=', membershipId)
          .execute()
      })
    },

    /**
     * Runs `change` on an account's memberships with the account locked, so that concurrent edits see each
     * other's results (PostgreSQL row lock; SQLite runs one transaction at a time). `change` gets the org as
     * it is now (null when it is gone) and must use `trx` for every query: on SQLite another query would wait
     * for this transaction forever. Over a transaction (a signup's), it runs inside that one.
     */
    async withLockedOrg<T>(
      realmId: string,
      orgId: string,
      change: (trx: Kysely<Database>, members: Membership[], org: Org | null) => Promise<T>,
    ): Promise<T> {
      return inTransaction(db, async (trx) => {
        if (dialect === 'postgres') await sql`select id from orgs where id = ${orgId} and realm_id = ${realmId} for update`.execute(trx)
        const org = await trx.selectFrom('orgs').selectAll().where('realm_id', '=', realmId).where('id', '=', orgId).executeTakeFirst()
        const rows = await trx.selectFrom('memberships').selectAll().where('realm_id', '=', realmId).where('org_id', '=', orgId).execute()
        return change(trx, rows.map(toMembership), org ? toOrg(org) : null)
      })
    },

    async setPermissions(trx: Kysely<Database>, membershipId: string, permissions: string[], now: Date): Promise<void> {
      await trx.updateTable('memberships').set({ permissions: membershipPermissions.write(permissions), updated_at: toDbTime(now) }).where('id', '=', membershipId).execute()
    },

    async deleteMembership(trx: Kysely<Database>, membershipId: string): Promise<void> {
      await trx.deleteFrom('memberships').where('id', '=', membershipId).execute()
    },

    async renameOrg(realmId: string, orgId: string, name: string, now: Date, trx: Kysely<Database> = db): Promise<void> {
      await trx.updateTable('orgs').set({ name, updated_at: toDbTime(now) }).where('realm_id', '=', realmId).where('id', '=', orgId).execute()
    },

    async setOrgState(realmId: string, orgId: string, state: Org['state'], now: Date, trx: Kysely<Database> = db): Promise<void> {
      await trx.updateTable('orgs').set({ state, updated_at: toDbTime(now) }).where('realm_id', '=', realmId).where('id', '=', orgId).execute()
    },

    /**
     * A realm's accounts for the admin portal, newest first, with each one's member count and how many match
     * in all. The name matches when it contains `search.name`: LIKE with its wildcards escaped, and lower() on
     * both sides, so case never matters for ASCII (beyond it, as far as the database's lower() folds).
     */
    async searchOrgs(realmId: string, search: OrgSearch): Promise<{ orgs: OrgSummary[]; total: number }> {
      let matching = db.selectFrom('orgs').where('realm_id', '=', realmId)
      if (search.state !== 'all') matching = matching.where('state', '=', search.state)
      if (search.name !== '') {
        const pattern = `%${search.name.replace(/[!%_]/g, (c) => `!${c}`)}%`
        matching = matching.where(sql<boolean>`lower(name) like lower(${pattern}) escape '!'`)
      }
      const counted = await matching.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
      const rows = await matching
        .selectAll('orgs')
        .select((eb) => eb.selectFrom('memberships').whereRef('memberships.org_id', '=', 'orgs.id').select(eb.fn.countAll().as('n')).as('member_count'))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(search.limit)
        .offset(search.offset)
        .execute()
      return { orgs: rows.map((row) => ({ ...toOrg(row), memberCount: Number(row.member_count) })), total: Number(counted.n) }
    },
  }
}

export type AccountRepository = ReturnType<typeof accountRepository>
