import { statSync } from 'node:fs'
import type { Logger } from 'pino'

/**
 * Warns when other users of the machine can read or enter the data folder: it holds the SQLite database (CSRF
 * keys, sessions, live reset links) and the master key file. Nothing is changed: the folder is the operator's.
 */
export function warnIfDataFolderOpen(dataDir: string, logger: Logger): void {
  let mode: number
  try {
    mode = statSync(dataDir).mode & 0o777
  } catch {
    return // No folder (PostgreSQL with AIRLOCK_SECRET): nothing in it to protect.
  }
  if ((mode & 0o077) === 0) return
  logger.warn(
    { dataDir, mode: mode.toString(8).padStart(4, '0') },
    `the data folder ${dataDir} is open to other users of this machine (mode ${mode.toString(8).padStart(4, '0')}); it holds the database and the master key. Fix: chmod 700 ${dataDir}`,
  )
}
