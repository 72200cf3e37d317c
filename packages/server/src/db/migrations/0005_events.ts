import { columnTypes, type AirlockMigration } from './types.js'

/**
 * What happened, for the admin portal's Events page: AuthRocket's event names (`user.login.succeeded`, ...) and
 * the admins' own actions. Rows are never updated; old ones are pruned after the retention period. Also an
 * index for the Mail page.
 */
export const events: AirlockMigration = {
  async up(db, dialect) {
    const { time, serial } = columnTypes(dialect)
    await db.schema
      .createTable('events')
      // Serial, so that the newest-first pages can continue from an id.
      .addColumn('id', serial, (c) => c.primaryKey())
      // Null for the server's own events (an admin logging in); deleting a realm deletes its events.
      .addColumn('realm_id', 'text', (c) => c.references('realms.id').onDelete('cascade'))
      .addColumn('event_type', 'text', (c) => c.notNull())
      // No foreign keys below: an event outlives the user, account or session it names.
      .addColumn('user_id', 'text')
      .addColumn('org_id', 'text')
      .addColumn('session_id', 'text')
      .addColumn('admin_id', 'text')
      .addColumn('ip', 'text')
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .execute()
    await db.schema.createIndex('events_realm_time').on('events').columns(['realm_id', 'id']).execute()
    await db.schema.createIndex('events_realm_user').on('events').columns(['realm_id', 'user_id', 'id']).execute()
    await db.schema.createIndex('events_realm_org').on('events').columns(['realm_id', 'org_id', 'id']).execute()
    await db.schema.createIndex('events_created').on('events').column('created_at').execute()
    // The portal's Mail page reads one realm's mails, newest first.
    await db.schema.createIndex('mails_realm').on('mails').columns(['realm_id', 'id']).execute()
  },
}
