import { sql, type Kysely, type Selectable } from 'kysely'
import { fromDbTime, toDbTime } from '../convert.js'
import { eventData } from '../json-column.js'
import type { Database, EventTable } from '../schema.js'
import type { NamedEvent, StoredEvent } from '../../domain/event.js'

export interface EventQuery {
  /** A realm's events, or (null) the server's own. */
  realmId: string | null
  /** An exact type (`user.login.failed`) or a family ending in a dot (`user.login.`). */
  type?: string | undefined
  userId?: string | undefined
  orgId?: string | undefined
  since?: Date | undefined
  until?: Date | undefined
  /** Only events older than this id: the next page. */
  beforeId?: number | undefined
  limit: number
}

function toEvent(row: Selectable<EventTable>): StoredEvent {
  return {
    id: Number(row.id),
    realmId: row.realm_id,
    type: row.event_type,
    userId: row.user_id,
    orgId: row.org_id,
    sessionId: row.session_id,
    adminId: row.admin_id,
    ip: row.ip,
    data: eventData.read(row.data, row.id),
    createdAt: fromDbTime(row.created_at),
  }
}

export function eventRepository(db: Kysely<Database>) {
  function filtered(query: EventQuery) {
    let select = db.selectFrom('events').selectAll()
    select = query.realmId === null ? select.where('realm_id', 'is', null) : select.where('realm_id', '=', query.realmId)
    // substr rather than LIKE: the same on both databases, with no wildcards to escape.
    if (query.type?.endsWith('.')) select = select.where(sql<string>`substr(event_type, 1, ${query.type.length})`, '=', query.type)
    else if (query.type) select = select.where('event_type', '=', query.type)
    if (query.userId) select = select.where('user_id', '=', query.userId)
    if (query.orgId) select = select.where('org_id', '=', query.orgId)
    if (query.since) select = select.where('created_at', '>=', toDbTime(query.since))
    if (query.until) select = select.where('created_at', '<', toDbTime(query.until))
    if (query.beforeId !== undefined) select = select.where('id', '<', query.beforeId)
    return select.orderBy('id', 'desc').limit(query.limit)
  }

  return {
    async insert(event: Omit<StoredEvent, 'id'>): Promise<void> {
      await db
        .insertInto('events')
        .values({
          realm_id: event.realmId,
          event_type: event.type,
          user_id: event.userId,
          org_id: event.orgId,
          session_id: event.sessionId,
          admin_id: event.adminId,
          ip: event.ip,
          data: eventData.write(event.data),
          created_at: toDbTime(event.createdAt),
        })
        .execute()
    },

    /** Newest first. */
    async list(query: EventQuery): Promise<StoredEvent[]> {
      const rows = await filtered(query).execute()
      return rows.map(toEvent)
    },

    /** Newest first, with the emails of the admin and the user each event names, for showing them. */
    async listNamed(query: EventQuery): Promise<NamedEvent[]> {
      const rows = await db
        .selectFrom(filtered(query).as('e'))
        .leftJoin('admins', 'admins.id', 'e.admin_id')
        .leftJoin('users', 'users.id', 'e.user_id')
        .selectAll('e')
        .select(['admins.email as admin_email', 'users.email as user_email'])
        .orderBy('e.id', 'desc')
        .execute()
      return rows.map((row) => ({ ...toEvent(row), adminEmail: row.admin_email, userEmail: row.user_email }))
    },

    /** Deletes the events recorded before `cutoff`; returns how many. */
    async deleteBefore(cutoff: Date): Promise<number> {
      const result = await db.deleteFrom('events').where('created_at', '<', toDbTime(cutoff)).executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}

export type EventRepository = ReturnType<typeof eventRepository>
