/**
 * Said on every page that tells the user a mail is on its way, while the mails only reach the outbox: without
 * it a first run waits for a mail that never comes. `url` is null when an SMTP server delivers them.
 */
export function OutboxNote({ url }: { url: string | null | undefined }) {
  return url ? (
    <p class="outbox">
      This server has no mail server set up yet: the mail is in the admin portal’s <a href={url}>outbox</a>.
    </p>
  ) : null
}
