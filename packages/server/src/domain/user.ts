export interface User {
  id: string
  realmId: string
  email: string
  emailVerifiedAt: Date | null
  passwordHash: string | null
  firstName: string | null
  lastName: string | null
  username: string | null
  locale: string | null
  reference: string | null
  custom: Record<string, unknown>
  state: 'active' | 'inactive'
  createdAt: Date
  updatedAt: Date
  lastLoginAt: Date | null
}

export type NewUser = Omit<User, 'createdAt' | 'updatedAt' | 'lastLoginAt'>

export type UserChanges = Partial<Pick<User, 'email' | 'emailVerifiedAt' | 'passwordHash' | 'firstName' | 'lastName' | 'username' | 'locale' | 'state' | 'lastLoginAt'>>

/** Emails compare case-insensitively and after Unicode normalisation (NFKC), so look-alike forms collide. */
export const normalizeEmail = (email: string): string => email.normalize('NFKC').trim().toLowerCase()
export const normalizeUsername = (username: string): string => username.normalize('NFKC').trim().toLowerCase()
