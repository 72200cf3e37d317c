import type { Membership, Org, Session, TokenClaims, TokenOrg, User } from './types.js'

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null)

const record = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : {}

function isTokenOrg(value: unknown): value is TokenOrg {
  const org = value as TokenOrg
  return org !== null && typeof org === 'object' && typeof org.mid === 'string' && typeof org.oid === 'string'
}

function toMembership(entry: TokenOrg, claims: TokenClaims): Membership {
  const org: Org = {
    object: 'org',
    id: entry.oid,
    realm_id: text(claims.rid),
    name: typeof entry.name === 'string' ? entry.name : '',
    reference: text(entry.ref),
    custom: record(entry.cs),
  }
  return {
    object: 'membership',
    id: entry.mid,
    permissions: Array.isArray(entry.perm) ? entry.perm.filter((p): p is string => typeof p === 'string') : [],
    selected: entry.selected === true,
    user_id: claims.sub,
    org_id: entry.oid,
    org,
  }
}

/** The user described by a token, in AuthRocket's object shape; a fresh object for every call. */
export function userFromClaims(claims: TokenClaims): User {
  const firstName = text(claims.given_name)
  const lastName = text(claims.family_name)
  const username = text(claims.preferred_username)
  const email = text(claims.email)
  return {
    object: 'user',
    id: claims.sub,
    realm_id: text(claims.rid),
    username,
    first_name: firstName,
    last_name: lastName,
    name: text(claims.name) ?? ([firstName, lastName].filter(Boolean).join(' ') || username || email || ''),
    email,
    email_verification: claims.email_verified === true ? 'verified' : 'none',
    locale: text(claims.locale),
    reference: text(claims.ref),
    custom: record(claims.cs),
    ...(Array.isArray(claims.orgs)
      ? { memberships: claims.orgs.filter(isTokenOrg).map((entry) => toMembership(entry, claims)) }
      : {}),
  }
}

/**
 * The selected membership, else the first (as AuthRocket's); null when there is none, also when the token has
 * no `orgs` claim (where AuthRocket's middleware throws a TypeError).
 */
export function selectedMembership(user: User): Membership | null {
  const memberships = user.memberships ?? []
  return memberships.find((m) => m.selected) ?? memberships[0] ?? null
}

export function sessionFromClaims(claims: TokenClaims, token: string, user: User): Session {
  return {
    object: 'session',
    id: text(claims.sid),
    created_at: claims.iat,
    expires_at: claims.exp,
    token,
    user_id: claims.sub,
    user,
  }
}
