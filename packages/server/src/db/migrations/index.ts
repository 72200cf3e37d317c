import { initial } from './0001_initial.js'
import { rateLimits } from './0002_rate_limits.js'
import { accounts } from './0003_accounts.js'
import { admins } from './0004_admins.js'
import { events } from './0005_events.js'
import type { AirlockMigration } from './types.js'

/** Every migration, in order. Listed here rather than found on disk, so bundlers and ESM can't lose one. */
export const migrations: Record<string, AirlockMigration> = {
  '0001_initial': initial,
  '0002_rate_limits': rateLimits,
  '0003_accounts': accounts,
  '0004_admins': admins,
  '0005_events': events,
}
