import type { Mailer } from './mailer.js'

/**
 * The admin portal's page of a realm's mails while they go nowhere else (no AIRLOCK_SMTP_URL), or null when an
 * SMTP server delivers them. The start banner and the hosted "check your email" pages point a first run there.
 */
export function outboxUrl(services: { mailer: Pick<Mailer, 'smtp'>; publicUrl: string }, realm: { id: string }): string | null {
  return services.mailer.smtp ? null : `${services.publicUrl}/admin/realms/${encodeURIComponent(realm.id)}/mail`
}
