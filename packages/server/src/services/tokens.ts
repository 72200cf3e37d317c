import { compactVerify, SignJWT, decodeProtectedHeader, type JWTPayload } from 'jose'
import type { Realm } from '../domain/realm.js'
import type { LoginSession } from '../domain/session.js'
import type { User } from '../domain/user.js'
import type { MembershipWithOrg } from '../domain/account.js'
import type { AccountService } from './accounts.js'
import type { KeyService } from './keys.js'

/** The realm's issuer: its own setting, else its LoginRocket URL's origin. */
export function issuerOf(realm: Realm, loginrocketUrl: string): string {
  return realm.settings.issuer ?? new URL(loginrocketUrl).origin
}

function displayName(user: User): string | undefined {
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ')
  return name || undefined
}

/** The selected membership as the token's `orgs` entry. */
function orgClaim(membership: MembershipWithOrg) {
  const { org } = membership
  return {
    mid: membership.id,
    oid: org.id,
    name: org.name,
    perm: membership.permissions,
    selected: true,
    ...(org.reference ? { ref: org.reference } : {}),
    ...(Object.keys(org.custom).length > 0 ? { cs: org.custom } : {}),
  }
}

/**
 * The login token's claims (DESIGN §2); profile claims only when set. `orgs` holds the selected membership only,
 * and is always present: AuthRocket's middleware fails with a TypeError on a token without it.
 */
function claimsFor(realm: Realm, user: User, session: LoginSession, membership: MembershipWithOrg | null): JWTPayload {
  const claims: JWTPayload = { rid: realm.id, sid: session.id }
  const optional: Record<string, unknown> = {
    preferred_username: user.username ?? undefined,
    given_name: user.firstName ?? undefined,
    family_name: user.lastName ?? undefined,
    name: displayName(user),
    email: user.email,
    email_verified: user.emailVerifiedAt !== null,
    locale: user.locale ?? undefined,
    ref: user.reference ?? undefined,
    cs: Object.keys(user.custom).length > 0 ? user.custom : undefined,
  }
  for (const [name, value] of Object.entries(optional)) if (value !== undefined) claims[name] = value
  claims.orgs = membership ? [orgClaim(membership)] : []
  return claims
}

/** What the hosted flow adds to a token it hands to the app by URL; renewals add neither. */
export interface TokenHandoff {
  account?: string
  nonce?: string
}

export function tokenService(keys: KeyService, accounts: AccountService) {
  return {
    /**
     * A token for the user's current account; `account` (an org id the user belongs to) switches to it first;
     * `nonce` (the app's browser-bound nonce, already checked by the flow) becomes the `nonce` claim.
     */
    async issue(realm: Realm, loginrocketUrl: string, user: User, session: LoginSession, now: Date, handoff: TokenHandoff = {}): Promise<string> {
      const membership = await accounts.forToken(realm, user, now, handoff.account)
      const { record, key } = await keys.signing(realm, now)
      const iat = Math.floor(now.getTime() / 1000)
      const claims = claimsFor(realm, user, session, membership)
      if (handoff.nonce) claims.nonce = handoff.nonce
      return new SignJWT(claims)
        .setProtectedHeader({ alg: record.alg, kid: record.id, typ: 'JWT' })
        .setIssuer(issuerOf(realm, loginrocketUrl))
        .setSubject(user.id)
        .setIssuedAt(iat)
        .setExpirationTime(iat + realm.settings.jwt_minutes * 60)
        .sign(key)
    },

    /**
     * The claims of a token this realm signed, whether or not it has expired (renewal accepts expired
     * tokens of live sessions). Null for anything else. A failure on this server's side (the database, key
     * material it can't open) is thrown, never read as a bad token: that would end a live login.
     */
    async verifyIgnoringExpiry(realm: Realm, loginrocketUrl: string, token: string, now: Date): Promise<JWTPayload | null> {
      if (token.length > 8192) return null
      let header: ReturnType<typeof decodeProtectedHeader>
      try {
        header = decodeProtectedHeader(token)
      } catch {
        return null
      }
      const known = (await keys.verifying(realm, now)).get(String(header.kid))
      if (!known || header.alg !== known.alg) return null
      const key = await known.key()
      let claims: JWTPayload
      try {
        const { payload } = await compactVerify(token, key, { algorithms: [known.alg] })
        claims = JSON.parse(new TextDecoder().decode(payload)) as JWTPayload
      } catch {
        return null
      }
      if (claims?.iss !== issuerOf(realm, loginrocketUrl) || claims.rid !== realm.id) return null
      if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string') return null
      return claims
    },
  }
}

export type TokenService = ReturnType<typeof tokenService>
