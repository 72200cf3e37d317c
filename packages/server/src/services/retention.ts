import type { ExpiredRowsRepository, PrunedTable } from '../db/repositories/expired-rows.js'

/** Rows deleted per statement: a large backlog goes in many short writes, never one long lock. */
export const PRUNE_BATCH = 500

const TABLES: PrunedTable[] = ['sessions', 'admin_sessions', 'one_time_tokens', 'mails']

/**
 * Keeps the tables that every login and mail adds to from growing forever: what no request can use any more
 * is deleted once it is `retentionDays` old (the admin portal shows what is left: live sessions, recent mails).
 * Any process may run it, any time; the rate-limit windows have their own sweep (services/throttle.ts).
 */
export function retentionService(repo: ExpiredRowsRepository, retentionDays: number) {
  return {
    /**
     * Deletes what is past retention, batch by batch, letting other work run between batches, until done or
     * `signal` aborts (a stopping server); how many rows went, by table.
     */
    async prune(now: Date, signal?: AbortSignal): Promise<Record<PrunedTable, number>> {
      const cutoff = new Date(now.getTime() - retentionDays * 86_400_000)
      const deleted = { sessions: 0, admin_sessions: 0, one_time_tokens: 0, mails: 0 }
      for (const table of TABLES) {
        for (let count = PRUNE_BATCH; count === PRUNE_BATCH && !signal?.aborted; ) {
          count = await repo.deleteBatch(table, cutoff, PRUNE_BATCH)
          deleted[table] += count
          await new Promise((resolve) => setImmediate(resolve))
        }
      }
      return deleted
    },
  }
}

export type RetentionService = ReturnType<typeof retentionService>
