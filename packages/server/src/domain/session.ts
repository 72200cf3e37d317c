/** A user's login at a realm, named by the hosted pages' session cookie and by the `sid` of each token it issues. */
export interface LoginSession {
  id: string
  realmId: string
  userId: string
  createdAt: Date
  expiresAt: Date
  endedAt: Date | null
}

/** A session as the admin portal lists it: where and with what it was opened. */
export interface SessionDetails extends LoginSession {
  ip: string | null
  userAgent: string | null
}
