import { newId } from '../crypto/ids.js'
import type { Realm } from '../domain/realm.js'
import type { UserRepository } from '../db/repositories/users.js'
import type { NewUser, User } from '../domain/user.js'
import { attribute, type Actor } from '../domain/actor.js'
import type { EventService } from './events.js'
import { checkPassword, hashPassword, passwordProblem, PASSWORD_MAX } from './passwords.js'
import { cleanEmail, emailProblem, EMAIL_MAX, textProblem, usernameProblem, type FieldErrors, type Outcome } from '../domain/validation.js'

export const EMAIL_TAKEN = 'An account with this email already exists. Log in, or reset your password.'

export interface SignupInput {
  email: string
  password: string
  firstName: string
  lastName: string
  username: string
}

/** A failure names the user the email belongs to, if any, for the event log only: the page says the same either way. */
export type LoginOutcome = { ok: true; user: User } | { ok: false; reason: 'invalid' | 'inactive'; userId: string | null }

/** Checks a password. Unknown emails cost a hash too, so the two failures look and take the same. */
async function checkCredentials(users: UserRepository, realm: Realm, rawEmail: string, password: string): Promise<LoginOutcome> {
  const email = cleanEmail(rawEmail)
  const user = email.length <= EMAIL_MAX ? await users.byEmail(realm.id, email) : null
  const ok = await checkPassword(user?.passwordHash ?? null, password.length <= PASSWORD_MAX ? password : '')
  if (!ok || !user || password.length > PASSWORD_MAX) return { ok: false, reason: 'invalid', userId: user?.id ?? null }
  if (user.state !== 'active') return { ok: false, reason: 'inactive', userId: user.id }
  return { ok: true, user }
}

export function userService(users: UserRepository, events: EventService) {

  return {
    /**
     * Checks the signup form and hashes its password (before any transaction opens: a hash takes a while), giving
     * the user to insert; `otherErrors` (fields the caller checked) stop it too. signup.ts writes it.
     */
    async prepareSignup(realm: Realm, input: SignupInput, otherErrors: FieldErrors = {}): Promise<Outcome<NewUser>> {
      const { name_field: nameField, username_field: usernameField } = realm.settings
      const email = cleanEmail(input.email)
      const errors: FieldErrors = { ...otherErrors }
      const emailError = emailProblem(email)
      if (emailError) errors.email = emailError
      if (nameField !== 'hidden') {
        const first = textProblem(input.firstName, 'first name', nameField === 'required')
        const last = textProblem(input.lastName, 'last name', nameField === 'required')
        if (first) errors.first_name = first
        if (last) errors.last_name = last
      }
      if (usernameField !== 'hidden') {
        const problem = usernameProblem(input.username, usernameField === 'required')
        if (problem) errors.username = problem
        else if (input.username && (await users.usernameTaken(realm.id, input.username))) errors.username = 'That username is taken.'
      }
      const passwordError = passwordProblem(input.password, { email, realmName: realm.name })
      if (passwordError) errors.password = passwordError
      if (!errors.email && (await users.emailTaken(realm.id, email))) errors.email = EMAIL_TAKEN
      if (Object.keys(errors).length > 0) return { ok: false, errors }
      return {
        ok: true,
        value: {
          id: newId('usr'),
          realmId: realm.id,
          email,
          emailVerifiedAt: null,
          passwordHash: await hashPassword(input.password),
          firstName: nameField === 'hidden' ? null : input.firstName || null,
          lastName: nameField === 'hidden' ? null : input.lastName || null,
          username: usernameField === 'hidden' ? null : input.username || null,
          locale: null,
          reference: null,
          custom: {},
          state: 'active',
        },
      }
    },

    /**
     * Checks a password. Unknown emails cost a hash too, so the two failures look and take the same; a failure is
     * recorded (`user.login.failed`, with the email as typed, cut short) for unknown emails too, for the same reason.
     */
    async login(realm: Realm, rawEmail: string, password: string, actor: Actor, now: Date): Promise<LoginOutcome> {
      const outcome = await checkCredentials(users, realm, rawEmail, password)
      if (!outcome.ok) {
        const data = { email: rawEmail.slice(0, 200), reason: outcome.reason }
        await events.record(attribute(actor, { type: 'user.login.failed', realmId: realm.id, userId: outcome.userId, data }), now)
      }
      return outcome
    },

    byId(realm: Realm, id: string): Promise<User | null> {
      return users.byId(realm.id, id)
    },

    byEmail(realm: Realm, email: string): Promise<User | null> {
      const clean = cleanEmail(email)
      return clean.length <= EMAIL_MAX ? users.byEmail(realm.id, clean) : Promise.resolve(null)
    },

    /** Saves the user's names; records `user.updated` with the names that changed, naming `by`, when one did. */
    async updateNames(realm: Realm, user: User, firstName: string, lastName: string, by: Actor, now: Date): Promise<Outcome<User>> {
      const required = realm.settings.name_field === 'required'
      const errors: FieldErrors = {}
      const first = textProblem(firstName, 'first name', required)
      const last = textProblem(lastName, 'last name', required)
      if (first) errors.first_name = first
      if (last) errors.last_name = last
      if (Object.keys(errors).length > 0) return { ok: false, errors }
      const names = { firstName: firstName || null, lastName: lastName || null }
      await users.update(realm.id, user.id, names, now)
      const changed = [names.firstName !== user.firstName ? 'first_name' : null, names.lastName !== user.lastName ? 'last_name' : null].filter((name) => name !== null)
      if (changed.length > 0) await events.record(attribute(by, { type: 'user.updated', realmId: realm.id, userId: user.id, data: { changed } }), now)
      return { ok: true, value: { ...user, ...names, updatedAt: now } }
    },

    /**
     * Checks a new password (and the current one when `current` is given) and gives the user with its hash, not yet
     * stored: credentials.changePassword stores it together with what must follow.
     */
    async checkPasswordChange(realm: Realm, user: User, current: string | null, next: string, now: Date): Promise<Outcome<User>> {
      if (current !== null && !(await checkPassword(user.passwordHash, current.length <= PASSWORD_MAX ? current : ''))) {
        return { ok: false, errors: { current_password: 'That is not your current password.' } }
      }
      const problem = passwordProblem(next, { email: user.email, realmName: realm.name })
      if (problem) return { ok: false, errors: { new_password: problem } }
      return { ok: true, value: { ...user, passwordHash: await hashPassword(next), updatedAt: now } }
    },

    async markEmailVerified(realm: Realm, user: User, email: string, now: Date): Promise<Outcome<User>> {
      if (email !== user.email && (await users.emailTaken(realm.id, email, user.id))) {
        return { ok: false, errors: { email: 'Another account now uses this email address.' } }
      }
      await users.update(realm.id, user.id, { email, emailVerifiedAt: now }, now)
      return { ok: true, value: { ...user, email, emailVerifiedAt: now, updatedAt: now } }
    },
  }
}

export type UserService = ReturnType<typeof userService>
