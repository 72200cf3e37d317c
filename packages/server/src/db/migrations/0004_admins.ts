import { columnTypes, type AirlockMigration } from './types.js'

/**
 * The admin portal's people and their sessions. Admins are not realm users: they belong to the server,
 * log in at its public URL and never receive a token. Emails are unique after NFKC, trim and lower case.
 */
export const admins: AirlockMigration = {
  async up(db, dialect) {
    const { time } = columnTypes(dialect)
    await db.schema
      .createTable('admins')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('email_normalized', 'text', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('last_login_at', time)
      .execute()

    await db.schema
      .createTable('admin_sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('admin_id', 'text', (c) => c.notNull().references('admins.id').onDelete('cascade'))
      .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', time, (c) => c.notNull())
      // Each request moves it on; a session idle for longer than the timeout is over.
      .addColumn('last_seen_at', time, (c) => c.notNull())
      // The absolute end, however busy the session.
      .addColumn('expires_at', time, (c) => c.notNull())
      .addColumn('ended_at', time)
      .execute()
    await db.schema.createIndex('admin_sessions_admin').on('admin_sessions').column('admin_id').execute()
  },
}
