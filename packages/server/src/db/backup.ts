import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import SQLite from 'better-sqlite3'

/** The database file in a data folder (connect.ts opens the same one). */
export const databaseFile = (dataDir: string) => join(dataDir, 'airlock.db')

/** The files SQLite keeps beside a database: -wal and -shm in WAL mode, -journal in rollback mode. */
export const companionFiles = (file: string) => [`${file}-wal`, `${file}-shm`, `${file}-journal`]

export interface BackupResult {
  file: string
  bytes: number
  pages: number
  tables: number
}

/** Pages per backup step after the first: all of them, so one step copies one consistent snapshot. */
const ALL_PAGES = 0x7fffffff

/**
 * An empty file beside `target`, readable by its owner only, named so it can't be mistaken for the finished
 * file. SQLite keeps the mode of an existing file, and gives its journal the same.
 */
function privateTempFile(target: string): string {
  const file = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.partial`)
  closeSync(openSync(file, 'wx', 0o600))
  return file
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** link() errors of file systems that have no hard links (vfat, some SMB mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'])

/**
 * Moves a finished file into place without ever replacing one: link() fails if `target` exists (another
 * command got there first), where rename() would overwrite it. On a file system without hard links, rename()
 * after a last look that `target` is still free. The folder is synced so the name survives a crash.
 */
function publish(temp: string, target: string): void {
  fsyncPath(temp)
  try {
    linkSync(temp, target)
    unlinkSync(temp)
  } catch (error) {
    if (!NO_HARD_LINKS.has((error as NodeJS.ErrnoException).code ?? '')) throw error
    if (existsSync(target)) throw Object.assign(new Error(`EEXIST: file already exists, ${target}`), { code: 'EEXIST' })
    renameSync(temp, target)
  }
  fsyncPath(dirname(target))
}

/**
 * Copies an SQLite database with SQLite's online backup API into `target`, which must not exist: first into a
 * private temporary file beside it, published only once complete and checked. The source may be in use by
 * other processes; the copy is one consistent snapshot of it (readers don't block writers in WAL mode). The copy
 * is left in rollback-journal mode, a single self-contained file.
 */
export async function copyDatabase(source: SQLite.Database, target: string): Promise<BackupResult> {
  const temp = privateTempFile(target)
  try {
    // The first step only opens the backup; the second copies every page under one read transaction. Smaller
    // steps would start over whenever another process writes between them, again and again under a steady load.
    await source.backup(temp, { progress: () => ALL_PAGES })
    const copy = new SQLite(temp, { fileMustExist: true })
    let pages: number
    let tables: number
    try {
      copy.pragma('journal_mode = DELETE')
      const check = copy.pragma('integrity_check', { simple: true })
      if (check !== 'ok') throw new Error(`the copy failed its integrity check: ${String(check)}`)
      pages = copy.pragma('page_count', { simple: true }) as number
      tables = (copy.prepare(`select count(*) as n from sqlite_schema where type = 'table'`).get() as { n: number }).n
    } finally {
      copy.close()
    }
    publish(temp, target)
    return { file: target, bytes: statSync(target).size, pages, tables }
  } catch (error) {
    for (const file of [temp, ...companionFiles(temp)]) rmQuietly(file)
    throw error
  }
}

function rmQuietly(file: string): void {
  try {
    unlinkSync(file)
  } catch {
    // Already gone, or never made.
  }
}

/** How long the backup command waits for a lock: it serves no one, so it may block (servers wait 10 ms only). */
const BACKUP_BUSY_TIMEOUT_MS = 5_000

/** Opens a data folder's database for a backup: read-only, and never creating one (connect.ts would). */
export function openForBackup(dataDir: string): SQLite.Database {
  const database = new SQLite(databaseFile(dataDir), { readonly: true, fileMustExist: true })
  database.pragma(`busy_timeout = ${BACKUP_BUSY_TIMEOUT_MS}`)
  return database
}

/** Creates the data folder a restore goes into, private like the one `start` makes. */
export function makeDataFolder(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
}
