import type { Membership } from './account.js'
import type { Realm } from './realm.js'
import type { Outcome } from './validation.js'

/** A permission name as memberships carry it (`site:admin`, `forum:moderator`, `projects:*`). */
export const PERMISSION = /^[a-z0-9*:;._-]{1,62}$/i

/** Reserved permissions: owners and admins manage the account; every account keeps at least one owner. */
export const OWNER = 'ar:owner'
export const ADMIN = 'ar:admin'

export const canManage = (membership: Pick<Membership, 'permissions'> | null): boolean =>
  membership !== null && (membership.permissions.includes(OWNER) || membership.permissions.includes(ADMIN))

/** Unique, valid permission names, in a stable order. */
export function cleanPermissions(permissions: string[]): string[] {
  return [...new Set(permissions.map((p) => p.trim()).filter((p) => PERMISSION.test(p)))].sort()
}

export const isOwner = (membership: Pick<Membership, 'permissions'>): boolean => membership.permissions.includes(OWNER)

const MAX_PERMISSIONS = 100

/**
 * The permissions a manager may tick for a member (or an invitation), in display order: ar:owner (owners
 * only), ar:admin, the realm's named permissions, and whatever else the member has now (or an invitation
 * gets by default), so it can be taken away.
 */
export function offeredPermissions(realm: Realm, actorIsOwner: boolean, current: string[] = []): string[] {
  const offered = [...(actorIsOwner ? [OWNER] : []), ADMIN, ...realm.settings.permissions, ...current]
  return [...new Set(actorIsOwner ? offered : offered.filter((p) => p !== OWNER))]
}

/** Chosen permissions, checked against what was offered; the error is for the form's `permissions` field. */
export function checkPermissions(chosen: string[], offered: string[]): Outcome<string[]> {
  const problem = (message: string): Outcome<string[]> => ({ ok: false, errors: { permissions: message } })
  if (chosen.length > MAX_PERMISSIONS) return problem(`Choose at most ${MAX_PERMISSIONS} permissions.`)
  for (const permission of chosen) {
    const shown = permission.slice(0, 62)
    if (!PERMISSION.test(permission)) return problem(`“${shown}” is not a valid permission name.`)
    if (permission === OWNER && !offered.includes(OWNER)) return problem('Only owners can make someone an owner.')
    if (!offered.includes(permission)) return problem(`“${shown}” is not one of this app’s permissions.`)
  }
  return { ok: true, value: cleanPermissions(chosen) }
}
