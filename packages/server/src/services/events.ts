import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { eventRepository, type EventQuery, type EventRepository, type NamedEvent, type StoredEvent } from '../db/repositories/events.js'
import type { Database } from '../db/schema.js'
import type { Metrics } from '../metrics/metrics.js'

/** Every event the server records: AuthRocket's names for what happens in a realm, then the admins' own actions. */
export const EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deleted',
  'user.login.succeeded',
  'user.login.failed',
  'user.password.resetting',
  'user.password.updated',
  'user.email.verifying',
  'user.email.verified',
  'session.deleted',
  'org.created',
  'org.updated',
  'org.closed',
  'org.reopened',
  'membership.created',
  'membership.updated',
  'membership.deleted',
  'invitation.org.created',
  'invitation.org.accepted',
  'invitation.org.revoked',
  'admin.created',
  'admin.password.updated',
  'admin.login.succeeded',
  'admin.login.failed',
  'admin.realm.created',
  'admin.realm.updated',
  'admin.realm.key.rotated',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

/**
 * The choices of a type filter: each type, preceded by the families it is the first of. A family is a dotted
 * prefix (`user.login.`) shared by two or more of the types, unless a shorter one already picks the same types.
 */
export function eventTypeChoices(types: readonly string[]): string[] {
  const membersOf = (prefix: string) => types.filter((type) => type.startsWith(prefix)).length
  const choices: string[] = []
  for (const type of types) {
    let parentMembers = types.length + 1
    for (let dot = type.indexOf('.'); dot >= 0; dot = type.indexOf('.', dot + 1)) {
      const family = type.slice(0, dot + 1)
      const members = membersOf(family)
      if (members >= 2 && members < parentMembers && !choices.includes(family)) choices.push(family)
      parentMembers = members
    }
    choices.push(type)
  }
  return choices
}

export interface EventInput {
  type: EventType
  /** Null for the server's own events (admins). */
  realmId: string | null
  userId?: string | null | undefined
  orgId?: string | null | undefined
  sessionId?: string | null | undefined
  /** The admin who made the change, when one did. */
  adminId?: string | null | undefined
  ip?: string | null | undefined
  /** Details to show (changed fields, the email tried); never a password, token or secret. */
  data?: Record<string, unknown> | undefined
}

export const DEFAULT_EVENT_RETENTION_DAYS = 90

const toStored = (event: EventInput, now: Date): Omit<StoredEvent, 'id'> => ({
  realmId: event.realmId,
  type: event.type,
  userId: event.userId ?? null,
  orgId: event.orgId ?? null,
  sessionId: event.sessionId ?? null,
  adminId: event.adminId ?? null,
  ip: event.ip ?? null,
  data: event.data ?? {},
  createdAt: now,
})

/**
 * Records events inside the transaction of the change they describe: they commit with it or not at all, and
 * a failure here undoes the change (a user without their `user.created` event is one the log never saw).
 */
export async function recordWithin(trx: Kysely<Database>, events: EventInput[], now: Date): Promise<void> {
  const repo = eventRepository(trx)
  for (const event of events) await repo.insert(toStored(event, now))
}

export interface EventServiceOptions {
  retentionDays: number
  logger: Logger
  metrics: Metrics
}

/** The event log: what happened in each realm and in the portal, kept for `retentionDays`. */
export function eventService(repo: EventRepository, { retentionDays, logger, metrics }: EventServiceOptions) {
  return {
    retentionDays,

    /**
     * Records an event after the change it describes has been made. A failure here is logged and swallowed:
     * the change stands, and a user must not see an error for something that worked.
     */
    async record(event: EventInput, now: Date): Promise<void> {
      // Counted even when the log fails to keep it: it happened all the same.
      metrics.event(event.type, event.realmId)
      try {
        await repo.insert(toStored(event, now))
      } catch (error) {
        logger.error({ err: error, event: event.type, realm: event.realmId }, 'event not recorded')
      }
    },

    list(query: EventQuery): Promise<StoredEvent[]> {
      return repo.list(query)
    },

    /** As `list`, with the emails of the admin and the user each event names (the Events pages). */
    listNamed(query: EventQuery): Promise<NamedEvent[]> {
      return repo.listNamed(query)
    },

    /** Deletes events older than the retention period; returns how many went. */
    prune(now: Date): Promise<number> {
      return repo.deleteBefore(new Date(now.getTime() - retentionDays * 86_400_000))
    },
  }
}

export type EventService = ReturnType<typeof eventService>
