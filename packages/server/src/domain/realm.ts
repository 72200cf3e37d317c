import { z } from 'zod'
import { AppError } from '../errors/app-error.js'
import { PERMISSION } from './permissions.js'

const fieldMode = z.enum(['required', 'optional', 'hidden'])

const permissionList = z
  .array(z.string().regex(PERMISSION, 'permissions are 1 to 62 letters, digits or * : ; . _ -'))
  .max(100)
  .default([])

function loginUrl(value: string, ctx: z.RefinementCtx): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not an absolute URL` })
    return value
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `"${value}" must be http or https` })
  } else if (url.username || url.password || url.search || url.hash) {
    ctx.addIssue({ code: 'custom', message: `"${value}" must not have credentials, a query or a fragment` })
  }
  return url.origin + url.pathname
}

/** Every realm setting (DESIGN §6), with its default. */
export const realmSettingsSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  signup: z.enum(['open', 'invitation', 'closed']).default('open'),
  org_mode: z.enum(['single_user', 'multi_user']).default('single_user'),
  name_field: fieldMode.default('optional'),
  username_field: fieldMode.default('hidden'),
  org_name_field: fieldMode.default('optional'),
  email_verification: z.enum(['none', 'optional', 'required']).default('optional'),
  login_urls: z.array(z.string().transform(loginUrl)).max(20).default([]),
  jwt_minutes: z.number().int().min(1).max(24 * 60).default(60),
  session_minutes: z.number().int().min(5).max(366 * 24 * 60).default(30 * 24 * 60),
  /**
   * How long after its `exp` a token may still be renewed (POST /connect/renew); null: `jwt_minutes`. Past it a
   * token copied from a log or a stolen cookie is worthless, while the browser's LoginRocket session still logs it in.
   */
  renew_grace_minutes: z.number().int().min(1).max(30 * 24 * 60).nullable().default(null),
  jwt_algo: z.enum(['rs256', 'hs256']).default('rs256'),
  issuer: z.string().trim().min(1).max(200).nullable().default(null),
  color: z
    .string()
    .regex(/^#[0-9a-f]{6}$/i, 'must be a colour like #2456c8')
    .default('#2456c8'),
  logo_url: z.url({ protocol: /^https?$/ }).nullable().default(null),
  /** Named permissions the account pages offer as checkboxes. */
  permissions: permissionList,
  /** What the creator of a new account gets besides ar:owner. */
  new_owner_permissions: permissionList,
  /** What an invited member gets unless the invitation says otherwise. */
  new_member_permissions: permissionList,
})

export type RealmSettings = z.infer<typeof realmSettingsSchema>

export interface Realm {
  id: string
  name: string
  /** Null for the default realm, which is served at the server's public URL. */
  loginrocketUrl: string | null
  isDefault: boolean
  settings: RealmSettings
  createdAt: Date
}

export const SETTING_NAMES = Object.keys(realmSettingsSchema.shape) as (keyof RealmSettings)[]

const NUMERIC = new Set(['jwt_minutes', 'session_minutes', 'renew_grace_minutes'])
const LISTS = new Set(['login_urls', 'permissions', 'new_owner_permissions', 'new_member_permissions'])
const NULLABLE = new Set(['issuer', 'logo_url', 'renew_grace_minutes'])

/** A setting as typed on a command line (`KEY=VALUE`) in the type the schema wants. */
function fromText(name: string, value: string): unknown {
  if (LISTS.has(name)) return value.split(',').map((v) => v.trim()).filter(Boolean)
  if (NULLABLE.has(name) && value === '') return null
  if (NUMERIC.has(name)) return /^\d+$/.test(value) ? Number(value) : value
  return value
}

/** Minutes after a token's `exp` during which it still renews: the realm's setting, else its token lifetime. */
export const renewGraceMinutes = (settings: RealmSettings): number => settings.renew_grace_minutes ?? settings.jwt_minutes

/** Validates settings; the first problem becomes an `invalid_setting` error that names the setting. */
export function validateSettings(input: unknown): RealmSettings {
  const result = realmSettingsSchema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const name = issue.path[0] === undefined ? '' : String(issue.path[0])
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.join(', ')
    throw new AppError('invalid_setting', `unknown setting ${keys}; known settings: ${SETTING_NAMES.join(', ')}`, { setting: keys })
  }
  throw new AppError('invalid_setting', `${name}: ${issue.message}`, { setting: name })
}

/** Applies `KEY=VALUE` assignments to current settings, all or nothing. */
export function applyAssignments(current: RealmSettings, assignments: string[]): RealmSettings {
  const next: Record<string, unknown> = { ...current }
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=')
    if (eq <= 0) throw new AppError('invalid_setting', `"${assignment}" is not KEY=VALUE`, { setting: assignment })
    const name = assignment.slice(0, eq)
    next[name] = fromText(name, assignment.slice(eq + 1))
  }
  return validateSettings(next)
}
