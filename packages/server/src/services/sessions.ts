import { hashSecret, newId, newSecret } from '../crypto/ids.js'
import type { Realm } from '../domain/realm.js'
import type { SessionRepository } from '../db/repositories/sessions.js'
import type { LoginSession } from '../domain/session.js'

/** LoginRocket sessions: the browser holds a random secret; the server keeps its hash and the session record. */
export function sessionService(repo: SessionRepository) {
  return {
    async start(
      realm: Realm,
      userId: string,
      meta: { userAgent: string | null; ip: string | null },
      now: Date,
    ): Promise<{ session: LoginSession; secret: string }> {
      const secret = newSecret()
      const session: LoginSession = {
        id: newId('kss'),
        realmId: realm.id,
        userId,
        createdAt: now,
        expiresAt: new Date(now.getTime() + realm.settings.session_minutes * 60_000),
        endedAt: null,
      }
      await repo.insert({ ...session, secretHash: hashSecret(secret), userAgent: meta.userAgent?.slice(0, 400) ?? null, ip: meta.ip })
      return { session, secret }
    },

    /** The live session a browser's secret opens, or null. */
    fromSecret(realm: Realm, secret: string | undefined, now: Date): Promise<LoginSession | null> {
      if (!secret || secret.length > 100) return Promise.resolve(null)
      return repo.liveBySecretHash(realm.id, hashSecret(secret), now)
    },

    live(realm: Realm, id: string, now: Date): Promise<LoginSession | null> {
      return repo.liveById(realm.id, id, now)
    },

    end(session: LoginSession, now: Date): Promise<void> {
      return repo.end(session.realmId, session.id, now)
    },
  }
}

export type SessionService = ReturnType<typeof sessionService>
