import { settle, type CaughtMail, type MailCatcher } from './mail-catcher.js'

/** The newest mail to `address` whose subject contains `subject`, waiting for it (the server mails in the background). */
export async function mailAbout(smtp: MailCatcher, address: string, subject: string, timeoutMs = 5000): Promise<CaughtMail> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = smtp.to(address).filter((mail) => mail.subject.includes(subject)).at(-1)
    if (found) return found
    if (Date.now() > deadline) throw new Error(`no mail to ${address} about "${subject}"; got: ${smtp.to(address).map((m) => m.subject).join(' | ')}`)
    await settle(20)
  }
}
