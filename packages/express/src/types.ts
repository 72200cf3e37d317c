/** The claims of a LoginRocket login token (DESIGN §2). */
export interface TokenClaims {
  iss: string
  sub: string
  rid?: string
  sid?: string
  iat: number
  exp: number
  preferred_username?: string
  given_name?: string
  family_name?: string
  name?: string
  email?: string
  email_verified?: boolean
  locale?: string
  ref?: string
  cs?: Record<string, unknown>
  orgs?: TokenOrg[]
  /** The browser-bound nonce the middleware sent to /login; a `?token=` is installed only in that browser. */
  nonce?: string
}

/** One membership as carried in the token's `orgs` claim. */
export interface TokenOrg {
  mid: string
  oid: string
  name: string
  perm?: string[]
  selected?: boolean
  ref?: string
  cs?: Record<string, unknown>
}

/** An account, in AuthRocket's shape. */
export interface Org {
  object: 'org'
  id: string
  realm_id: string | null
  name: string
  reference: string | null
  custom: Record<string, unknown>
}

/** A user's membership of an org, in AuthRocket's shape. */
export interface Membership {
  object: 'membership'
  id: string
  permissions: string[]
  selected: boolean
  user_id: string
  org_id: string
  org: Org
}

/** The logged-in user, in AuthRocket's shape. */
export interface User {
  object: 'user'
  id: string
  realm_id: string | null
  username: string | null
  first_name: string | null
  last_name: string | null
  name: string
  email: string | null
  email_verification: 'verified' | 'none'
  locale: string | null
  reference: string | null
  custom: Record<string, unknown>
  /** One per entry of the token's `orgs` claim; absent when the token has no `orgs` (as AuthRocket's). */
  memberships?: Membership[]
}

/** The LoginRocket session behind the current login token. */
export interface Session {
  object: 'session'
  id: string | null
  /** Unix seconds (the token's `iat`), as AuthRocket gives it: `new Date(created_at * 1000)` for a Date. */
  created_at: number
  /** Unix seconds (the token's `exp`). */
  expires_at: number
  token: string
  user_id: string
  user: User
}

/**
 * Query parameters for the LoginRocket links, written in this order; a `URL` (what `requestUri()` returns) is
 * written as its address; `undefined` and `null` values are left out.
 */
export type UrlParams = Record<string, string | number | boolean | URL | null | undefined>

/** A permission to look for: an exact name, or a pattern. */
export type PermissionMatcher = string | RegExp
