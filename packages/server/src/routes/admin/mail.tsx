import { Hono } from 'hono'
import { AppError } from '../../errors/app-error.js'
import type { AppEnv } from '../../http/env.js'
import type { Services } from '../../services/index.js'
import { AdminMailMessagePage, AdminMailPage } from '../../views/pages/admin-mail.js'
import { realmOfPath, signedInAdmin } from './request.js'
import { adminUrl } from '../../views/admin-urls.js'
import { renderPage } from '../../views/render.js'

const PAGE_SIZE = 50

/** A mail id from the address, or null: ids are PostgreSQL `serial` (int4), so anything larger names no mail. */
function idOf(text: string): number | null {
  if (!/^\d{1,10}$/.test(text)) return null
  const id = Number(text)
  return id <= 2_147_483_647 ? id : null
}

/** A realm's mails: the outbox without SMTP (a first run reads its links here), the delivery log with it. */
export function adminMailRoutes(services: Services) {
  const app = new Hono<AppEnv>()
  app.get('/admin/realms/:id/mail', async (c) => {
    const realm = await realmOfPath(c, services)
    const beforeText = c.req.query('before')
    const beforeId = beforeText === undefined ? undefined : idOf(beforeText)
    if (beforeId === null) throw new AppError('bad_request', 'That page of mails does not exist.')
    const found = await services.mails.ofRealm(realm.id, { beforeId, limit: PAGE_SIZE + 1 })
    const mails = found.slice(0, PAGE_SIZE)
    const base = adminUrl.realm(realm.id).mail
    return renderPage(c,
      <AdminMailPage
        admin={signedInAdmin(c)}
        realm={realm}
        smtp={services.mailer.smtp}
        mails={mails}
        older={found.length > PAGE_SIZE ? `${base}?before=${mails.at(-1)!.id}` : null}
        newest={beforeId !== undefined ? base : null}
      />,
    )
  })

  app.get('/admin/realms/:id/mail/:mail_id', async (c) => {
    const realm = await realmOfPath(c, services)
    const id = idOf(c.req.param('mail_id'))
    // Another realm's mail is not found here, as if it weren't there.
    const mail = id === null ? null : await services.mails.byId(realm.id, id)
    if (!mail) throw new AppError('not_found', 'There is no mail with this ID in this realm.')
    return renderPage(c, <AdminMailMessagePage admin={signedInAdmin(c)} realm={realm} smtp={services.mailer.smtp} mail={mail} />)
  })

  return app
}
