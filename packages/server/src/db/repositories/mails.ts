import type { Kysely, Selectable } from 'kysely'
import { fromDbTime, toDbTime } from '../convert.js'
import type { Database, MailTable } from '../schema.js'
import type { StoredMail } from '../../domain/mail.js'

function toMail(row: Selectable<MailTable>): StoredMail {
  return {
    id: Number(row.id),
    realmId: row.realm_id,
    to: row.to_address,
    subject: row.subject,
    text: row.text_body,
    createdAt: fromDbTime(row.created_at),
    sentAt: fromDbTime(row.sent_at),
    error: row.error,
  }
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
      return rows.map(toMail)
    },

    /** One realm's mails, newest first; `beforeId` continues from the last one of a page. */
    async ofRealm(realmId: string, { beforeId, limit }: { beforeId?: number | undefined; limit: number }): Promise<StoredMail[]> {
      let select = db.selectFrom('mails').selectAll().where('realm_id', '=', realmId)
      if (beforeId !== undefined) select = select.where('id', '<', beforeId)
      const rows = await select.orderBy('id', 'desc').limit(limit).execute()
      return rows.map(toMail)
    },

    /** A mail of this realm, or null (another realm's mail included). */
    async byId(realmId: string, id: number): Promise<StoredMail | null> {
      const row = await db.selectFrom('mails').selectAll().where('realm_id', '=', realmId).where('id', '=', id).executeTakeFirst()
      return row ? toMail(row) : null
    },
  }
}

export type MailRepository = ReturnType<typeof mailRepository>
