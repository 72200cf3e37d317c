/** Someone who may use the admin portal (the server's, not a realm's, user), and a login of theirs there. */
export interface Admin {
  id: string
  email: string
  passwordHash: string
  createdAt: Date
  lastLoginAt: Date | null
}

export interface AdminSession {
  id: string
  adminId: string
  createdAt: Date
  lastSeenAt: Date
  expiresAt: Date
  endedAt: Date | null
}
