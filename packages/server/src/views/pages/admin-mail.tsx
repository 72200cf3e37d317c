import type { Child } from 'hono/jsx'
import type { StoredMail } from '../../domain/mail.js'
import { secondTime } from '../format.js'
import { AdminLayout } from './admin-layout.js'
import { RealmNav } from './admin-realm-nav.js'
import { adminUrl } from '../admin-urls.js'

type Admin = { email: string; csrf: string }
type RealmRef = { id: string; name: string }

/** What became of a mail: sent, refused by the SMTP server (with why), or only stored. */
function Status({ mail }: { mail: StoredMail }) {
  if (mail.sentAt) return <>Sent</>
  if (mail.error) return <strong class="failed">Failed</strong>
  return <>Stored, not sent</>
}

/** The mail pages' heading: the outbox without SMTP, the delivery log with it. */
const listName = (smtp: boolean) => (smtp ? 'delivery log' : 'outbox')

/** GET /admin/realms/:id/mail: the realm's mails, newest first. */
export function AdminMailPage({ admin, realm, smtp, mails, older, newest }: { admin: Admin; realm: RealmRef; smtp: boolean; mails: StoredMail[]; older: string | null; newest: string | null }) {
  return (
    <AdminLayout title={`${realm.name}: ${listName(smtp)}`} signedIn={admin}>
      <RealmNav id={realm.id} current="mail" />
      {smtp ? (
        <p>
          Every mail this realm sent through the SMTP server (AIRLOCK_SMTP_URL): whether the server took it, and the error when it didn’t. The secrets in
          their links are not kept (<code>token=[hidden]</code>): only the recipient can use them.
        </p>
      ) : (
        <p>
          No SMTP server is configured (<code>AIRLOCK_SMTP_URL</code>), so mails are stored here, not sent. Open one to read it and follow its links: email
          verification, password reset, invitations.
        </p>
      )}
      {mails.length === 0 ? (
        <p>No mails yet.</p>
      ) : (
        <table class="log">
          <thead>
            <tr>
              <th scope="col">Time (UTC)</th>
              <th scope="col">To</th>
              <th scope="col">Subject</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {mails.map((mail) => (
              <tr>
                <td data-label="Time">{secondTime(mail.createdAt)}</td>
                <td data-label="To">{mail.to}</td>
                <td data-label="Subject">
                  <a href={adminUrl.realm(realm.id).message(mail.id)}>{mail.subject || '(no subject)'}</a>
                </td>
                <td data-label="Status">
                  <Status mail={mail} />
                  {mail.error ? <span class="mail-error">: {mail.error}</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {older || newest ? (
        <nav class="pager" aria-label="Pages of mails">
          {newest ? <a href={newest}>Newest</a> : null}
          {older ? <a href={older}>Older</a> : null}
        </nav>
      ) : null}
    </AdminLayout>
  )
}

// Only http(s) addresses become links; a trailing full stop or bracket belongs to the sentence.
const LINK = /https?:\/\/[^\s<>"']+/g
const TRAILING = /[.,;:!?)\]]+$/

/** The mail's text with its addresses as links (a first run follows its verification and reset links from here). */
function linked(text: string): Child[] {
  const parts: Child[] = []
  let at = 0
  for (const match of text.matchAll(LINK)) {
    const url = match[0].replace(TRAILING, '')
    // A link whose secret was not kept (mail sent by SMTP) leads nowhere: it stays text.
    if (url.includes('=[hidden]')) continue
    parts.push(text.slice(at, match.index))
    parts.push(
      <a href={url} rel="noreferrer">
        {url}
      </a>,
    )
    at = match.index + url.length
  }
  parts.push(text.slice(at))
  return parts
}

/** GET /admin/realms/:id/mail/:mail_id: one mail in full. */
export function AdminMailMessagePage({ admin, realm, smtp, mail }: { admin: Admin; realm: RealmRef; smtp: boolean; mail: StoredMail }) {
  return (
    <AdminLayout title={mail.subject || '(no subject)'} signedIn={admin}>
      <RealmNav id={realm.id} current="mail" />
      <dl class="mail-head">
        <div>
          <dt>To</dt>
          <dd>{mail.to}</dd>
        </div>
        <div>
          <dt>Time</dt>
          <dd>{secondTime(mail.createdAt)} UTC</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>
            <Status mail={mail} />
            {mail.sentAt ? <> {secondTime(mail.sentAt)} UTC</> : null}
          </dd>
        </div>
        {mail.error ? (
          <div>
            <dt>Error</dt>
            <dd class="mail-error">{mail.error}</dd>
          </div>
        ) : null}
      </dl>
      <pre class="mail-text">{linked(mail.text)}</pre>
      <p>
        <a href={adminUrl.realm(realm.id).mail}>Back to the {listName(smtp)}</a>
      </p>
    </AdminLayout>
  )
}
