import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { Kysely, SqliteDialect } from 'kysely'
import pino from 'pino'
import { ConfigError, type ServerConfig } from '../config/load.js'
import { readMasterKey } from '../crypto/master-key.js'
import { secretBox } from '../crypto/secret-box.js'
import { companionFiles, copyDatabase, databaseFile, makeDataFolder, openForBackup } from '../db/backup.js'
import { MIGRATION_TABLE } from '../db/migrate.js'
import { realmRepository } from '../db/repositories/realms.js'
import { signingKeyRepository } from '../db/repositories/signing-keys.js'
import { openBackup } from '../db/restore.js'
import type { Database } from '../db/schema.js'
import { AppError } from '../errors/app-error.js'
import { keyService } from '../services/keys.js'
import { masterKeyOpensAll } from '../services/master-key-check.js'
import type { CliIo } from './run.js'

const POSTGRES_TOOLS = `PostgreSQL has its own tools for this:
  pg_dump --format=custom --file airlock.dump "$DATABASE_URL"
  pg_restore --no-owner --dbname "$DATABASE_URL" airlock.dump    (into an empty database)
Keep AIRLOCK_SECRET apart from the dump (in a secret store): a restored database needs it.`

/** A file another command created between our check and our publishing it: refused the same way. */
function isExisting(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'EEXIST'
}

const outExists = (out: string) => new AppError('invalid_setting', `--out ${out} already exists: airlock backup never overwrites a file. Choose another name, or move the old backup away`, { setting: '--out' })

/**
 * `airlock backup --out FILE`: a consistent copy of the data folder's SQLite database, taken while servers keep
 * serving and writing. The master key is not in it.
 */
export async function backup(config: ServerConfig, outArg: string | undefined, io: CliIo): Promise<void> {
  if (config.databaseUrl) throw new ConfigError('DATABASE_URL', `is set: airlock backup copies a data folder's SQLite database. ${POSTGRES_TOOLS}`)
  if (!outArg) throw new ConfigError('--out', 'is required: airlock backup --out FILE')
  const out = resolve(outArg)
  if (existsSync(out)) throw outExists(out)
  if (!existsSync(dirname(out))) throw new ConfigError('--out', `${out}: the folder ${dirname(out)} does not exist`)
  if (!existsSync(databaseFile(config.dataDir))) {
    throw new ConfigError('--data', `${config.dataDir} has no database (${databaseFile(config.dataDir)}): nothing to back up. Is it the folder the server runs with?`)
  }
  const started = performance.now()
  const database = openForBackup(config.dataDir)
  try {
    if (database.prepare(`select 1 from sqlite_schema where name = ?`).get(MIGRATION_TABLE) === undefined) {
      throw new ConfigError('--data', `${config.dataDir}: ${databaseFile(config.dataDir)} is not an Airlock database`)
    }
    const result = await copyDatabase(database, out).catch((error: unknown) => {
      throw isExisting(error) ? outExists(out) : error
    })
    io.stdout.write(`${JSON.stringify({ ...result, took_ms: Math.round(performance.now() - started) })}\n`)
  } finally {
    database.close()
  }
}

/**
 * `airlock restore --from FILE`: puts a backup into a data folder that has no database yet, once the file has
 * passed every check (see openBackup) and the master key this command has opens its realms' keys. Never makes a
 * master key: a new one could open nothing in the backup.
 */
export async function restore(config: ServerConfig, fromArg: string | undefined, io: CliIo): Promise<void> {
  if (config.databaseUrl) throw new ConfigError('DATABASE_URL', `is set: airlock restore puts an SQLite backup into a data folder. ${POSTGRES_TOOLS}`)
  if (!fromArg) throw new ConfigError('--from', 'is required: airlock restore --from FILE')
  const from = resolve(fromArg)
  const target = databaseFile(config.dataDir)
  const alreadyThere = () =>
    new ConfigError(
      '--data',
      `${config.dataDir} already has a database (${target}): airlock restore never replaces one. Stop the server, move that folder away (keep it until the restored one works), and restore into an empty folder`,
    )
  if ([target, ...companionFiles(target)].some((file) => existsSync(file))) throw alreadyThere()
  const masterKey = readMasterKey(config.secret, config.dataDir)
  if (masterKey === undefined) {
    throw new ConfigError(
      'AIRLOCK_SECRET',
      `is not set, and ${config.dataDir} has no secret.key: a restore needs the master key of the server that made the backup. Set AIRLOCK_SECRET to it, or put that server's secret.key into ${config.dataDir} (mode 0600)`,
    )
  }
  const started = performance.now()
  const { database, schema } = openBackup(from)
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database }) })
  try {
    const realms = await realmRepository(kysely).list()
    const keys = keyService(signingKeyRepository(kysely), secretBox(masterKey), pino({ level: 'silent' }))
    if (!(await masterKeyOpensAll(keys, realms, new Date()))) {
      throw config.secret !== undefined
        ? new ConfigError('AIRLOCK_SECRET', `is not the secret the keys in ${from} were sealed with: set it to the secret of the server that made the backup`)
        : new ConfigError(`The key file ${join(config.dataDir, 'secret.key')}`, `is not the one the keys in ${from} were sealed with: put the backed-up server's secret.key there, or set AIRLOCK_SECRET to its secret`)
    }
    const users = (await kysely.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n
    makeDataFolder(config.dataDir)
    const copied = await copyDatabase(database, target).catch((error: unknown) => {
      throw isExisting(error) ? alreadyThere() : error
    })
    io.stdout.write(`${JSON.stringify({ file: copied.file, from, schema, realms: realms.length, users, took_ms: Math.round(performance.now() - started) })}\n`)
  } finally {
    // Kysely closes the file only if it ran a query.
    await kysely.destroy()
    if (database.open) database.close()
  }
}
