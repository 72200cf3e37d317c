/** What a one-time link does; its token is stored only as a hash. */
export type TokenPurpose = 'password_reset' | 'email_verification' | 'admin_setup' | 'email_change_undo'

export interface OneTimeToken {
  id: string
  realmId: string | null
  userId: string | null
  purpose: TokenPurpose
  email: string | null
  createdAt: Date
  expiresAt: Date
}
