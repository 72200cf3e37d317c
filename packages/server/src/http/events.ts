import type { Context } from 'hono'
import type { Actor } from '../domain/actor.js'
import type { EventInput } from '../domain/event.js'
import type { User } from '../domain/user.js'
import type { Services } from '../services/index.js'
import type { AppEnv } from './env.js'

/** The signed-in admin of a portal request, as the services record them. */
export function adminActor(c: Context<AppEnv>): Actor {
  return { kind: 'admin', adminId: c.get('admin').admin.id, ip: c.get('clientIp') }
}

/** The signed-in user of a hosted page, as the services record them. */
export function userActor(c: Context<AppEnv>, user: Pick<User, 'id'>): Actor {
  return { kind: 'user', userId: user.id, ip: c.get('clientIp') }
}

/** Whoever sent a hosted page's form before anyone is signed in (a login, a reset request). */
export function visitorActor(c: Context<AppEnv>): Actor {
  return { kind: 'visitor', ip: c.get('clientIp') }
}

/** Records something that happened in the request's realm, with the client's address. */
export function recordEvent(c: Context<AppEnv>, services: Services, event: Omit<EventInput, 'realmId' | 'ip'>): Promise<void> {
  return services.events.record({ ...event, realmId: c.get('realm').id, ip: c.get('clientIp') }, services.clock())
}

/** Records an admin's action in the portal; `realmId` is the realm it changed, or null for the server's own. */
export function recordAdminEvent(c: Context<AppEnv>, services: Services, event: Omit<EventInput, 'adminId' | 'ip'>): Promise<void> {
  return services.events.record({ ...event, adminId: c.get('admin').admin.id, ip: c.get('clientIp') }, services.clock())
}
