import { hashSecret, newId, newSecret } from '../crypto/ids.js'
import type { OneTimeTokenRepository } from '../db/repositories/one-time-tokens.js'
import type { OneTimeToken, TokenPurpose } from '../domain/one-time-token.js'

/** How long each kind of link works. */
export const LIFETIME_MS: Record<TokenPurpose, number> = {
  password_reset: 30 * 60_000,
  email_verification: 24 * 60 * 60_000,
  admin_setup: 24 * 60 * 60_000,
  email_change_undo: 7 * 24 * 60 * 60_000,
}

/**
 * Purposes whose newer links leave the older ones working. Each undo link goes to a different former address,
 * and a second email change (by whoever took the account) must not void the owner's way back. Every process
 * that starts before the first admin exists prints a setup link, and a second process must not void the link
 * the first one printed; they all stop working once an admin exists.
 */
const STACKING: ReadonlySet<TokenPurpose> = new Set(['email_change_undo', 'admin_setup'])

/**
 * Single-use links (password reset, email verification, undoing an email change): 256 random bits in the link,
 * only their hash stored, expiring, and a newer link of the same kind voids the older ones (except STACKING).
 */
export function linkService(tokens: OneTimeTokenRepository) {
  return {
    async create(purpose: TokenPurpose, owner: { realmId: string | null; userId: string | null; email?: string | null }, now: Date): Promise<string> {
      const secret = newSecret()
      const record = {
        id: newId('ott'),
        realmId: owner.realmId,
        userId: owner.userId,
        purpose,
        email: owner.email ?? null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + LIFETIME_MS[purpose]),
        tokenHash: hashSecret(secret),
      }
      await (STACKING.has(purpose) ? tokens.add(record) : tokens.replace(record))
      return secret
    },

    /** The link's record while it is usable; looking does not use it up. */
    peek(purpose: TokenPurpose, secret: string | undefined, now: Date): Promise<OneTimeToken | null> {
      if (!secret || secret.length > 100) return Promise.resolve(null)
      return tokens.find(purpose, hashSecret(secret), now)
    },

    /** Uses the link up; null when it was invalid, expired, or used by someone else first. */
    async consume(purpose: TokenPurpose, secret: string | undefined, now: Date): Promise<OneTimeToken | null> {
      const found = await this.peek(purpose, secret, now)
      return found && (await tokens.consume(found.id, now)) ? found : null
    },
  }
}

export type LinkService = ReturnType<typeof linkService>
