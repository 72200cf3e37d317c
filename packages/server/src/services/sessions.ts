import type { Kysely } from 'kysely'
import { hashSecret, newId, newSecret } from '../crypto/ids.js'
import type { Realm } from '../domain/realm.js'
import { sessionRepository } from '../db/repositories/sessions.js'
import type { LoginSession } from '../domain/session.js'
import { userRepository } from '../db/repositories/users.js'
import type { User } from '../domain/user.js'
import type { Database } from '../db/schema.js'
import { inTransaction } from '../db/transaction.js'
import type { Metrics } from '../metrics/metrics.js'
import type { EventInput } from '../domain/event.js'
import { recordWithin, type EventService } from './events.js'
import { attribute, type Actor } from '../domain/actor.js'

export interface SessionDeps {
  db: Kysely<Database>
  /** Counts the logins, once they are committed. */
  metrics: Metrics
  /** Where a logout is recorded. */
  events: EventService
}

/** Where a login comes from: the browser's current session secret (replaced), its user agent and address. */
export interface LoginClient {
  previousSecret: string | undefined
  userAgent: string | null
  ip: string | null
}

/** LoginRocket sessions: the browser holds a random secret; the server keeps its hash and the session record. */
export function sessionService({ db, metrics, events }: SessionDeps) {
  const repo = sessionRepository(db)

  /** The live session a browser's secret opens, or null. */
  function fromSecret(realm: Realm, secret: string | undefined, now: Date, sessions = repo): Promise<LoginSession | null> {
    if (!secret || secret.length > 100) return Promise.resolve(null)
    return sessions.liveBySecretHash(realm.id, hashSecret(secret), now)
  }

  return {
    fromSecret: (realm: Realm, secret: string | undefined, now: Date) => fromSecret(realm, secret, now),

    /**
     * Logs `user` in to this browser (by password, right after signup, or after a password reset): ends the
     * browser's previous session, starts a new one, notes the user's last login and records the events, in one
     * transaction: one commit (one fsync on SQLite, not three), and a session never exists without its
     * `user.login.succeeded` event. Returns the session, its secret for the cookie, and the user as now stored.
     */
    async logIn(realm: Realm, user: User, client: LoginClient, now: Date): Promise<{ session: LoginSession; secret: string; user: User }> {
      const secret = newSecret()
      const session: LoginSession = {
        id: newId('kss'),
        realmId: realm.id,
        userId: user.id,
        createdAt: now,
        expiresAt: new Date(now.getTime() + realm.settings.session_minutes * 60_000),
        endedAt: null,
      }
      const events = await inTransaction(db, async (trx) => {
        const sessions = sessionRepository(trx)
        const events: EventInput[] = []
        const previous = await fromSecret(realm, client.previousSecret, now, sessions)
        if (previous) {
          await sessions.end(previous.realmId, previous.id, now)
          events.push({ type: 'session.deleted', realmId: realm.id, userId: previous.userId, sessionId: previous.id, ip: client.ip, data: { reason: 'replaced' } })
        }
        await sessions.insert({ ...session, secretHash: hashSecret(secret), userAgent: client.userAgent?.slice(0, 400) ?? null, ip: client.ip })
        await userRepository(trx).update(realm.id, user.id, { lastLoginAt: now }, now)
        events.push({ type: 'user.login.succeeded', realmId: realm.id, userId: user.id, sessionId: session.id, ip: client.ip })
        await recordWithin(trx, events, now)
        return events
      })
      // After the commit: a login rolled back never happened.
      for (const event of events) metrics.event(event.type, event.realmId)
      return { session, secret, user: { ...user, lastLoginAt: now } }
    },

    live(realm: Realm, id: string, now: Date): Promise<LoginSession | null> {
      return repo.liveById(realm.id, id, now)
    },

    /** Ends the browser's session at its user's request (logout) and records it. */
    async logOut(session: LoginSession, actor: Actor, now: Date): Promise<void> {
      await repo.end(session.realmId, session.id, now)
      const event = { type: 'session.deleted', realmId: session.realmId, userId: session.userId, sessionId: session.id, data: { reason: 'logout' } } as const
      await events.record(attribute(actor, event), now)
    },
  }
}

export type SessionService = ReturnType<typeof sessionService>
