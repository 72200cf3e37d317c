import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import { warnIfDataFolderOpen } from './config/data-folder.js'
import { ConfigError, type ServerConfig } from './config/load.js'
import { newId, newSecret } from './crypto/ids.js'
import { loadMasterKey } from './crypto/master-key.js'
import { secretBox } from './crypto/secret-box.js'
import { checkReachable, openDatabase } from './db/connect.js'
import { migrate, SchemaTooNewError } from './db/migrate.js'
import type { Metrics } from './metrics/metrics.js'
import { createServices, type Services } from './services/index.js'
import { masterKeyOpensAll } from './services/master-key-check.js'
import { validateSettings, type Realm } from './domain/realm.js'

export interface Booted {
  services: Services
  realm: Realm
  csrfKey: string
  /** True when this start created the default realm. */
  created: boolean
  close(): Promise<void>
}

/** Opens the database, migrates it and makes sure the default realm and its keys exist; `metrics` counts what the services do. */
export async function boot(config: ServerConfig, logger: Logger = pino({ level: config.logLevel }), metrics?: Metrics): Promise<Booted> {
  const db = openDatabase(config)
  try {
    await checkReachable(db, config)
    try {
      await migrate(db)
    } catch (error) {
      if (!(error instanceof SchemaTooNewError)) throw error
      throw new ConfigError(
        config.databaseUrl ? 'The database at DATABASE_URL' : `The database in the data folder ${config.dataDir}`,
        `was upgraded by a newer Airlock: ${error.message}. Run that version or a newer one (a schema is never downgraded; to go back, restore the backup taken before the upgrade)`,
      )
    }
    const box = secretBox(loadMasterKey(config.secret, config.dataDir))
    warnIfDataFolderOpen(config.dataDir, logger)
    const services = createServices({
      db,
      box,
      logger,
      publicUrl: config.publicUrl,
      smtpUrl: config.smtpUrl,
      mailFrom: config.mailFrom,
      eventRetentionDays: config.eventRetentionDays,
      metrics,
    })
    const now = services.clock()
    // The first writer of the setting picks the id, so processes starting together agree on one realm.
    const realmId = await services.serverSettings.getOrCreate('default_realm_id', newId('rl'))
    let realm = await services.realms.byId(realmId)
    let created = false
    if (!realm) {
      created = await services.realms.insert(
        { id: realmId, name: 'Demo', loginrocketUrl: null, isDefault: true, settings: validateSettings({ name: 'Demo' }) },
        now,
      )
      realm = (await services.realms.byId(realmId))!
    }
    const realms = await services.realms.list()
    // Before any key is added, which would be sealed under the wrong key.
    if (!(await masterKeyOpensAll(services.keys, realms, now))) {
      throw config.secret !== undefined
        ? new ConfigError(
            'AIRLOCK_SECRET',
            `is not the secret this database's keys were sealed with (${config.databaseUrl ? 'the PostgreSQL database at DATABASE_URL' : `the SQLite database in the data folder ${config.dataDir}`}): set it to the value the database was set up with (the one every other server on it uses)`,
          )
        : new ConfigError(
            `The key file ${join(config.dataDir, 'secret.key')}`,
            'is not the one this database\'s keys were sealed with: restore the data folder\'s original secret.key, or set AIRLOCK_SECRET to the secret the other servers on this database use',
          )
    }
    // Every realm, not only the default one: a realm switched to another jwt_algo by an older version may lack its key.
    for (const each of realms) await services.keys.ensure(each, now)
    const csrfKey = await services.serverSettings.getOrCreate('csrf_key', newSecret())
    return { services, realm, csrfKey, created, close: () => db.close() }
  } catch (error) {
    await db.close()
    throw error
  }
}
