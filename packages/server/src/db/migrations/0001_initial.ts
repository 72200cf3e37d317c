import type { AirlockMigration } from './types.js'
import { columnTypes } from './types.js'

/** Realms, their signing keys, users, LoginRocket sessions, one-time links and the mail outbox. */
export const initial: AirlockMigration = {
  async up(db, dialect) {
    const { time, bool } = columnTypes(dialect)

    await db.schema
      .createTable('server_settings')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute()

    await db.schema
      .createTable('realms')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('loginrocket_url', 'text', (c) => c.unique())
      .addColumn('is_default', bool, (c) => c.notNull())
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('updated_at', time, (c) => c.notNull())
      .execute()

    await db.schema
      .createTable('signing_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('realm_id', 'text', (c) => c.notNull().references('realms.id').onDelete('cascade'))
      .addColumn('alg', 'text', (c) => c.notNull())
      .addColumn('public_key', 'text')
      .addColumn('secret_sealed', 'text', (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('signs_from', time, (c) => c.notNull())
      .addColumn('retire_at', time)
      .execute()
    await db.schema.createIndex('signing_keys_realm').on('signing_keys').column('realm_id').execute()

    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('realm_id', 'text', (c) => c.notNull().references('realms.id').onDelete('cascade'))
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('email_normalized', 'text', (c) => c.notNull())
      .addColumn('email_verified_at', time)
      .addColumn('password_hash', 'text')
      .addColumn('first_name', 'text')
      .addColumn('last_name', 'text')
      .addColumn('username', 'text')
      .addColumn('username_normalized', 'text')
      .addColumn('locale', 'text')
      .addColumn('reference', 'text')
      .addColumn('custom', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('updated_at', time, (c) => c.notNull())
      .addColumn('last_login_at', time)
      .addUniqueConstraint('users_realm_email', ['realm_id', 'email_normalized'])
      .addUniqueConstraint('users_realm_username', ['realm_id', 'username_normalized'])
      .execute()

    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('realm_id', 'text', (c) => c.notNull().references('realms.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('expires_at', time, (c) => c.notNull())
      .addColumn('ended_at', time)
      .addColumn('user_agent', 'text')
      .addColumn('ip', 'text')
      .execute()
    await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute()

    await db.schema
      .createTable('one_time_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('realm_id', 'text', (c) => c.references('realms.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('email', 'text')
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('expires_at', time, (c) => c.notNull())
      .addColumn('used_at', time)
      .execute()
    await db.schema.createIndex('one_time_tokens_user').on('one_time_tokens').columns(['user_id', 'purpose']).execute()

    await db.schema
      .createTable('mails')
      .addColumn('id', columnTypes(dialect).serial, (c) => c.primaryKey())
      .addColumn('realm_id', 'text', (c) => c.references('realms.id').onDelete('cascade'))
      .addColumn('to_address', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('text_body', 'text', (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('sent_at', time)
      .addColumn('error', 'text')
      .execute()
  },
}
