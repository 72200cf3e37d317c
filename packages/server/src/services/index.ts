import type { Logger } from 'pino'
import type { Db } from '../db/connect.js'
import { mailRepository } from '../db/repositories/mails.js'
import { oneTimeTokenRepository } from '../db/repositories/one-time-tokens.js'
import { realmRepository } from '../db/repositories/realms.js'
import { serverSettingRepository } from '../db/repositories/server-settings.js'
import { sessionRepository } from '../db/repositories/sessions.js'
import { signingKeyRepository } from '../db/repositories/signing-keys.js'
import { userRepository } from '../db/repositories/users.js'
import type { SecretBox } from '../crypto/secret-box.js'
import { noMetrics, type Metrics } from '../metrics/metrics.js'
import { accountRepository } from '../db/repositories/accounts.js'
import { invitationRepository } from '../db/repositories/invitations.js'
import { adminRepository } from '../db/repositories/admins.js'
import { eventRepository } from '../db/repositories/events.js'
import { accountManagement } from './account-management.js'
import { eventService } from './events.js'
import { DEFAULT_EVENT_RETENTION_DAYS } from '../domain/retention.js'
import { adminService } from './admins.js'
import { adminUserService } from './admin-users.js'
import { accountService } from './accounts.js'
import { credentialService } from './credentials.js'
import { invitationService } from './invitations.js'
import { keyService } from './keys.js'
import { linkService } from './links.js'
import { createMailer } from './mailer.js'
import { sessionService } from './sessions.js'
import { signupService } from './signups.js'
import { tokenService } from './tokens.js'
import { userService } from './users.js'

export interface ServicesOptions {
  db: Db
  box: SecretBox
  logger: Logger
  /** The server's public URL (an origin): where the default realm is served. */
  publicUrl: string
  /** SMTP URL for outgoing mail; without it mail goes to the outbox. */
  smtpUrl?: string | undefined
  mailFrom?: string | undefined
  /** How long the event log keeps events (default 90 days). */
  eventRetentionDays?: number | undefined
  /** Where logins, signups, mails... are counted (AIRLOCK_METRICS_ADDRESS); counts nothing by default. */
  metrics?: Metrics
  clock?: () => Date
}

/** Builds every service over one database; nothing here reads the environment or opens sockets. */
export function createServices({ db, box, logger, publicUrl, smtpUrl, mailFrom, eventRetentionDays = DEFAULT_EVENT_RETENTION_DAYS, metrics = noMetrics, clock = () => new Date() }: ServicesOptions) {
  const kysely = db.kysely
  const keys = keyService(signingKeyRepository(kysely), box, logger)
  const realms = realmRepository(kysely)
  const mails = mailRepository(kysely)
  const accountRepo = accountRepository(kysely, db.dialect)
  const accounts = accountService(accountRepo)
  const tokens = oneTimeTokenRepository(kysely)
  const links = linkService(tokens)
  const users = userRepository(kysely)
  const sessions = sessionRepository(kysely)
  const events = eventService(eventRepository(kysely), { retentionDays: eventRetentionDays, logger, metrics })
  const mailer = createMailer({ smtpUrl, from: mailFrom ?? `Airlock <no-reply@${new URL(publicUrl).hostname}>`, mails, logger, metrics, clock })
  /** A realm's LoginRocket URL: its own, or the server's public URL for the default realm. */
  const loginrocketUrlOf = (realm: { loginrocketUrl: string | null }) => realm.loginrocketUrl ?? publicUrl
  const usersService = userService(users, events)
  const credentials = credentialService({ db: kysely, users, links, events, mailer, logger, loginrocketUrlOf })
  return {
    db,
    logger,
    metrics,
    publicUrl,
    clock,
    realms,
    keys,
    accounts,
    accountManagement: accountManagement(accountRepo, events),
    invitations: invitationService(invitationRepository(kysely), accountRepo, events),
    tokens: tokenService(keys, accounts),
    sessions: sessionService({ db: kysely, metrics, events }),
    users: usersService,
    signups: signupService(db, usersService, metrics, events),
    adminUsers: adminUserService(kysely, users, sessions, credentials, events),
    credentials,
    links,
    events,
    admins: adminService(adminRepository(kysely), links),
    mails,
    mailer,
    serverSettings: serverSettingRepository(kysely),
    loginrocketUrlOf,
  }
}

export type Services = ReturnType<typeof createServices>
