/** Every event the server records: AuthRocket's names for what happens in a realm, then the admins' own actions. */
export const EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deleted',
  'user.login.succeeded',
  'user.login.failed',
  'user.password.resetting',
  'user.password.updated',
  'user.email.verifying',
  'user.email.verified',
  'session.deleted',
  'org.created',
  'org.updated',
  'org.closed',
  'org.reopened',
  'membership.created',
  'membership.updated',
  'membership.deleted',
  'invitation.org.created',
  'invitation.org.accepted',
  'invitation.org.revoked',
  'admin.created',
  'admin.password.updated',
  'admin.login.succeeded',
  'admin.login.failed',
  'admin.realm.created',
  'admin.realm.updated',
  'admin.realm.key.rotated',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

/**
 * The choices of a type filter: each type, preceded by the families it is the first of. A family is a dotted
 * prefix (`user.login.`) shared by two or more of the types, unless a shorter one already picks the same types.
 */
export function eventTypeChoices(types: readonly string[]): string[] {
  const membersOf = (prefix: string) => types.filter((type) => type.startsWith(prefix)).length
  const choices: string[] = []
  for (const type of types) {
    let parentMembers = types.length + 1
    for (let dot = type.indexOf('.'); dot >= 0; dot = type.indexOf('.', dot + 1)) {
      const family = type.slice(0, dot + 1)
      const members = membersOf(family)
      if (members >= 2 && members < parentMembers && !choices.includes(family)) choices.push(family)
      parentMembers = members
    }
    choices.push(type)
  }
  return choices
}

export interface EventInput {
  type: EventType
  /** Null for the server's own events (admins). */
  realmId: string | null
  userId?: string | null | undefined
  orgId?: string | null | undefined
  sessionId?: string | null | undefined
  /** The admin who made the change, when one did. */
  adminId?: string | null | undefined
  ip?: string | null | undefined
  /** Details to show (changed fields, the email tried); never a password, token or secret. */
  data?: Record<string, unknown> | undefined
}

export interface StoredEvent {
  id: number
  realmId: string | null
  type: string
  userId: string | null
  orgId: string | null
  sessionId: string | null
  adminId: string | null
  ip: string | null
  data: Record<string, unknown>
  createdAt: Date
}

/** An event with the names of who it is about, while they exist (events outlive users and admins). */
export interface NamedEvent extends StoredEvent {
  adminEmail: string | null
  userEmail: string | null
}
