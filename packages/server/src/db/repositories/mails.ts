import type { Kysely } from 'kysely'
import { fromDbTime, toDbTime } from '../convert.js'
import type { Database } from '../schema.js'

export interface StoredMail {
  id: number
  realmId: string | null
  to: string
  subject: string
  text: string
  createdAt: Date
  sentAt: Date | null
  error: string | null
}

export function mailRepository(db: Kysely<Database>) {
  return {
    async insert(mail: Omit<StoredMail, 'id'>): Promise<number> {
      const row = await db
        .insertInto('mails')
        .values({
          realm_id: mail.realmId,
          to_address: mail.to,
          subject: mail.subject,
          text_body: mail.text,
          created_at: toDbTime(mail.createdAt),
          sent_at: mail.sentAt ? toDbTime(mail.sentAt) : null,
          error: mail.error,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      return Number(row.id)
    },

    async recent(limit: number): Promise<StoredMail[]> {
      const rows = await db.selectFrom('mails').selectAll().orderBy('id', 'desc').limit(limit).execute()
      return rows.map((row) => ({
        id: Number(row.id),
        realmId: row.realm_id,
        to: row.to_address,
        subject: row.subject,
        text: row.text_body,
        createdAt: fromDbTime(row.created_at),
        sentAt: fromDbTime(row.sent_at),
        error: row.error,
      }))
    },
  }
}

export type MailRepository = ReturnType<typeof mailRepository>
