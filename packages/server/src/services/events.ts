import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { eventRepository, type EventQuery, type EventRepository } from '../db/repositories/events.js'
import type { EventInput, NamedEvent, StoredEvent } from '../domain/event.js'
import type { Database } from '../db/schema.js'
import type { Metrics } from '../metrics/metrics.js'


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
