/** A mail as the outbox keeps it: sent (sentAt), failed (error), or waiting when no SMTP server is set. */
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
