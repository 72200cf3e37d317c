import { hashSecret, newId, newSecret } from '../crypto/ids.js'
import type { AdminRepository } from '../db/repositories/admins.js'
import type { Admin, AdminSession } from '../domain/admin.js'
import type { LinkService } from './links.js'
import { checkPassword, hashPassword, PASSWORD_MAX, passwordProblem } from './passwords.js'
import { cleanEmail, EMAIL_MAX, emailProblem, type FieldErrors, type Outcome } from '../domain/validation.js'

/** An admin session ends after this long without a request. */
export const ADMIN_IDLE_MS = 30 * 60_000
/** And after this long however busy it is. */
export const ADMIN_SESSION_MAX_MS = 12 * 60 * 60_000

/**
 * The admin portal's people: separate from every realm's users, logging in with a password at the server's
 * public URL. The first one is created through the one-time setup link; later ones by `airlock admin create`.
 */
export function adminService(repo: AdminRepository, links: LinkService) {
  return {
    exists: () => repo.any(),

    byId: (id: string) => repo.byId(id),

    /**
     * A fresh setup link's secret while no admin exists (earlier ones keep working: another process may have
     * printed one); null afterwards, when every setup link is refused.
     */
    async setupSecret(now: Date): Promise<string | null> {
      if (await repo.any()) return null
      return links.create('admin_setup', { realmId: null, userId: null }, now)
    },

    /** What is wrong with a new admin's fields, by field (email, password, confirm); empty when nothing is. */
    async problems(rawEmail: string, password: string, confirm: string | null): Promise<FieldErrors> {
      const email = cleanEmail(rawEmail)
      const errors: FieldErrors = {}
      const emailError = emailProblem(email)
      if (emailError) errors.email = emailError
      // The portal's own name stands in for a realm's: it is the first word an attacker of the portal tries.
      const passwordError = passwordProblem(password, { email, realmName: 'Airlock' })
      if (passwordError) errors.password = passwordError
      else if (confirm !== null && confirm !== password) errors.confirm = 'The passwords don’t match.'
      if (!errors.email && (await repo.byEmail(email))) errors.email = `An admin with the email ${email} already exists.`
      return errors
    },

    /** A new admin; `confirm` is the repeated password of a form (null from the CLI). */
    async create(rawEmail: string, password: string, confirm: string | null, now: Date): Promise<Outcome<Admin>> {
      const errors = await this.problems(rawEmail, password, confirm)
      if (Object.keys(errors).length > 0) return { ok: false, errors }
      const email = cleanEmail(rawEmail)
      const admin = { id: newId('adm'), email, passwordHash: await hashPassword(password), createdAt: now }
      if (!(await repo.insert(admin))) return { ok: false, errors: { email: `An admin with the email ${email} already exists.` } }
      return { ok: true, value: { ...admin, lastLoginAt: null } }
    },

    /**
     * A new password for an admin (`airlock admin reset-password`, for one who is locked out or forgot it):
     * the same policy as everywhere, and every session of theirs ends, whoever holds it.
     */
    async resetPassword(rawEmail: string, password: string, now: Date): Promise<Outcome<Admin>> {
      const email = cleanEmail(rawEmail)
      const admin = emailProblem(email) === null ? await repo.byEmail(email) : null
      if (!admin) return { ok: false, errors: { email: `No admin has the email ${email}.` } }
      const passwordError = passwordProblem(password, { email: admin.email, realmName: 'Airlock' })
      if (passwordError) return { ok: false, errors: { password: passwordError } }
      const passwordHash = await hashPassword(password)
      await repo.setPassword(admin.id, passwordHash)
      await repo.endSessionsOf(admin.id, now)
      return { ok: true, value: { ...admin, passwordHash } }
    },

    /** The admin these credentials open, or null; an unknown email costs the same hash check as a wrong password. */
    async login(rawEmail: string, password: string, now: Date): Promise<Admin | null> {
      const email = cleanEmail(rawEmail)
      const admin = email.length <= EMAIL_MAX ? await repo.byEmail(email) : null
      const ok = await checkPassword(admin?.passwordHash ?? null, password.length <= PASSWORD_MAX ? password : '')
      if (!ok || !admin || password.length > PASSWORD_MAX) return null
      await repo.loggedIn(admin.id, now)
      return { ...admin, lastLoginAt: now }
    },

    async startSession(admin: Admin, now: Date): Promise<{ session: AdminSession; secret: string }> {
      const secret = newSecret()
      const session: AdminSession = {
        id: newId('ads'),
        adminId: admin.id,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: new Date(now.getTime() + ADMIN_SESSION_MAX_MS),
        endedAt: null,
      }
      await repo.insertSession({ ...session, secretHash: hashSecret(secret) })
      return { session, secret }
    },

    /** The live session and its admin for a browser's secret, extending the idle timeout; null when there is none. */
    async fromSecret(secret: string | undefined, now: Date): Promise<{ session: AdminSession; admin: Admin } | null> {
      if (!secret || secret.length > 100) return null
      const session = await repo.liveSession(hashSecret(secret), now, new Date(now.getTime() - ADMIN_IDLE_MS))
      if (!session) return null
      const admin = await repo.byId(session.adminId)
      if (!admin) return null
      await repo.touchSession(session.id, now)
      return { session: { ...session, lastSeenAt: now }, admin }
    },

    endSession: (session: AdminSession, now: Date) => repo.endSession(session.id, now),
  }
}

export type AdminService = ReturnType<typeof adminService>
