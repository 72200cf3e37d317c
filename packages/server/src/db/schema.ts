import type { Generated } from 'kysely'
import type { TokenPurpose } from '../domain/one-time-token.js'

/** Timestamps are ISO-8601 text in SQLite and timestamptz in PostgreSQL; `convert.ts` maps both. */
export type DbTime = string | Date
/** Booleans are 0/1 in SQLite and boolean in PostgreSQL. */
export type DbBool = number | boolean

export interface RealmTable {
  id: string
  name: string
  /** Where this realm's LoginRocket pages are served (an origin); null for the default realm, served at the server's public URL. */
  loginrocket_url: string | null
  is_default: DbBool
  /** The other settings (DESIGN §6), validated JSON. */
  settings: string
  created_at: DbTime
  updated_at: DbTime
}

export interface SigningKeyTable {
  /** The JWK `kid`. */
  id: string
  realm_id: string
  alg: 'RS256' | 'HS256'
  /** Base64 DER SubjectPublicKeyInfo (RS256); null for HS256. */
  public_key: string | null
  /** The private key (PKCS#8) or HS256 secret, sealed with the master key. */
  secret_sealed: string
  created_at: DbTime
  /** Tokens are signed with the newest key whose signing time has come. */
  signs_from: DbTime
  /** Set when a newer key takes over; the key stays published until `retire_at`. */
  retire_at: DbTime | null
}

export interface UserTable {
  id: string
  realm_id: string
  email: string
  email_normalized: string
  email_verified_at: DbTime | null
  password_hash: string | null
  first_name: string | null
  last_name: string | null
  username: string | null
  username_normalized: string | null
  locale: string | null
  reference: string | null
  custom: string
  state: 'active' | 'inactive'
  created_at: DbTime
  updated_at: DbTime
  last_login_at: DbTime | null
}

export interface SessionTable {
  id: string
  realm_id: string
  user_id: string
  /** SHA-256 of the browser's session secret; the secret itself is never stored. */
  secret_hash: string
  created_at: DbTime
  expires_at: DbTime
  ended_at: DbTime | null
  user_agent: string | null
  ip: string | null
}

export interface OneTimeTokenTable {
  id: string
  realm_id: string | null
  user_id: string | null
  purpose: TokenPurpose
  /** SHA-256 of the token in the link. */
  token_hash: string
  /** The address a verification link confirms; for an undo link, the address it restores. */
  email: string | null
  created_at: DbTime
  expires_at: DbTime
  used_at: DbTime | null
}

export interface MailTable {
  id: Generated<number>
  realm_id: string | null
  to_address: string
  subject: string
  text_body: string
  created_at: DbTime
  sent_at: DbTime | null
  error: string | null
}

export interface ServerSettingTable {
  name: string
  value: string
}

export interface OrgTable {
  id: string
  realm_id: string
  name: string
  state: 'active' | 'closed'
  reference: string | null
  custom: string
  created_at: DbTime
  updated_at: DbTime
}

export interface MembershipTable {
  id: string
  realm_id: string
  org_id: string
  user_id: string
  /** JSON array of permission names. */
  permissions: string
  /** The user's current account; at most one per user. */
  selected: DbBool
  created_at: DbTime
  updated_at: DbTime
}

export interface InvitationTable {
  id: string
  realm_id: string
  org_id: string
  email: string
  email_normalized: string
  permissions: string
  inviter_user_id: string | null
  /** SHA-256 of the secret in the invitation link. */
  token_hash: string
  created_at: DbTime
  expires_at: DbTime
  accepted_at: DbTime | null
  revoked_at: DbTime | null
}

export interface AdminTable {
  id: string
  email: string
  email_normalized: string
  password_hash: string
  created_at: DbTime
  last_login_at: DbTime | null
}

export interface AdminSessionTable {
  id: string
  admin_id: string
  /** SHA-256 of the browser's secret; the secret itself is never stored. */
  secret_hash: string
  created_at: DbTime
  last_seen_at: DbTime
  expires_at: DbTime
  ended_at: DbTime | null
}

export interface EventTable {
  id: Generated<number>
  realm_id: string | null
  event_type: string
  user_id: string | null
  org_id: string | null
  session_id: string | null
  /** The admin who did it, for changes made in the portal or by `airlock` commands. */
  admin_id: string | null
  ip: string | null
  /** JSON object with the event's details (never a password, token or secret). */
  data: string
  created_at: DbTime
}

/** The rate limiter's fixed windows (repositories/rate-limits.ts). */
export interface RateLimitTable {
  /** `<limit>:<HMAC of what it counts>`, maybe `:<HMAC of an address>`. */
  key: string
  points: number
  /** The window's end in epoch ms: a bigint, which pg returns as text. */
  expire: number | string | null
}

export interface Database {
  realms: RealmTable
  signing_keys: SigningKeyTable
  users: UserTable
  sessions: SessionTable
  one_time_tokens: OneTimeTokenTable
  mails: MailTable
  server_settings: ServerSettingTable
  orgs: OrgTable
  memberships: MembershipTable
  invitations: InvitationTable
  admins: AdminTable
  admin_sessions: AdminSessionTable
  events: EventTable
  rate_limits: RateLimitTable
}
