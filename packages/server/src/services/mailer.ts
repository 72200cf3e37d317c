import { createRequire } from 'node:module'
import type nodemailer from 'nodemailer'
import type { Logger } from 'pino'
import type { MailRepository } from '../db/repositories/mails.js'
import type { Metrics } from '../metrics/metrics.js'

export interface Mail {
  realmId: string | null
  to: string
  subject: string
  text: string
}

export interface Mailer {
  /** True when mail goes to an SMTP server; false when it only lands in the outbox. */
  readonly smtp: boolean
  /** Sends (or, without SMTP, stores) a mail. Delivery failures are recorded and logged, never thrown at a user. */
  send(mail: Mail): Promise<void>
}

export interface MailerOptions {
  smtpUrl: string | undefined
  from: string
  mails: MailRepository
  logger: Logger
  metrics: Metrics
  clock: () => Date
}

const LINK = /https?:\/\/\S+/g
/** A link's secret: `token=` in the query of every reset, verification and invitation link. */
const SECRET = /([?&]token=)[^&\s#]+/g

/** The text with every link's secret replaced: what the delivery log keeps of a mail that was sent. */
const withSecretsHidden = (text: string): string => text.replace(SECRET, '$1[hidden]')

/**
 * SMTP through nodemailer when AIRLOCK_SMTP_URL is set. Otherwise an outbox: each mail is stored and its
 * links are logged, so a first run works without a mail server. Every mail is recorded either way; with SMTP
 * without its links' secrets (only the recipient needs them, and the database is no place for live links).
 */
export function createMailer({ smtpUrl, from, mails, logger, metrics, clock }: MailerOptions): Mailer {
  // Loaded only with SMTP: a server with an outbox never pays for nodemailer's modules at start.
  const transport = smtpUrl ? (createRequire(import.meta.url)('nodemailer') as typeof nodemailer).createTransport(smtpUrl) : null
  return {
    smtp: transport !== null,
    async send(mail) {
      // CR/LF in a header would let a value add headers; addresses and subjects here never need them.
      const to = mail.to.replace(/[\r\n]/g, '')
      const subject = mail.subject.replace(/[\r\n]+/g, ' ')
      if (!transport) {
        await mails.insert({ ...mail, to, subject, createdAt: clock(), sentAt: null, error: null })
        metrics.mail('outbox')
        logger.info({ to, subject, links: mail.text.match(LINK) ?? [] }, 'mail stored in the outbox (no AIRLOCK_SMTP_URL)')
        return
      }
      let error: string | null = null
      try {
        await transport.sendMail({ from, to, subject, text: mail.text })
      } catch (failure) {
        error = (failure as Error).message.slice(0, 500)
        logger.error({ to, subject, error }, 'mail delivery failed')
      }
      metrics.mail(error ? 'failed' : 'sent')
      await mails.insert({ ...mail, to, subject, text: withSecretsHidden(mail.text), createdAt: clock(), sentAt: error ? null : clock(), error })
    },
  }
}
