import type { EventInput } from './event.js'

/**
 * Who made a change, as a service records it: a signed-in user, an admin in the portal, a management API key, the
 * CLI on the server, or a visitor who is nobody yet (a failed login, a signup).
 */
export type Actor =
  | { kind: 'user'; userId: string; ip: string | null }
  | { kind: 'admin'; adminId: string; ip: string | null }
  | { kind: 'api_key'; keyId: string; ip: string | null }
  | { kind: 'visitor'; ip: string | null }
  | { kind: 'cli' }

/** An event as a service describes it, before the actor is written on it. */
export type UnattributedEvent = Omit<EventInput, 'adminId' | 'ip'>

/**
 * The event row's columns for who did it, in the shape the log has always stored: an admin's id in `adminId`, the
 * client's address in `ip`, a user as the event's `userId` unless it is about someone else, the CLI as
 * `data.via: 'cli'` (it has no address), an API key as `data.api_key_id`.
 */
export function attribute(actor: Actor, event: UnattributedEvent): EventInput {
  switch (actor.kind) {
    case 'cli':
      return { ...event, data: { ...event.data, via: 'cli' } }
    case 'admin':
      return { ...event, adminId: actor.adminId, ip: actor.ip }
    case 'user':
      return { ...event, userId: event.userId ?? actor.userId, ip: actor.ip }
    case 'api_key':
      return { ...event, ip: actor.ip, data: { ...event.data, api_key_id: actor.keyId } }
    case 'visitor':
      return { ...event, ip: actor.ip }
  }
}
