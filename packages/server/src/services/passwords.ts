import { availableParallelism } from 'node:os'
import { hash, verify } from '@node-rs/argon2'
import { fold, readCommonPasswords, type WordSet } from './common-passwords.js'

/** argon2id with OWASP's minimum (m=19456 KiB, t=2, p=1); hashing runs on libuv's pool, off the event loop. */
// `algorithm: 2` is Algorithm.Argon2id, a const enum that isolated modules cannot import.
export const ARGON2_OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const

export const PASSWORD_MIN = 8
/** Longer inputs are refused before hashing: they add nothing, cost memory, and a passphrase fits with room to spare. */
export const PASSWORD_MAX = 256

/**
 * At most one argon2 computation per CPU at a time (availableParallelism honours taskset and container
 * limits): libuv's four pool threads hashing at once on fewer cores thrash each other's 19 MiB of memory,
 * and every login waits longer.
 */
const slots = { free: availableParallelism(), waiting: [] as (() => void)[] }

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (slots.free > 0) slots.free--
  else await new Promise<void>((resolve) => slots.waiting.push(resolve))
  try {
    return await work()
  } finally {
    const next = slots.waiting.shift()
    if (next) next()
    else slots.free++
  }
}

export function hashPassword(password: string): Promise<string> {
  return limited(() => hash(password, ARGON2_OPTIONS))
}

/** A hash nobody's password matches, checked when a login names no user, so both cases take as long. */
let dummy: Promise<string> | undefined

export async function checkPassword(storedHash: string | null, password: string): Promise<boolean> {
  const against = storedHash ?? (await (dummy ??= hashPassword(`dummy-${Math.random()}`)))
  try {
    const ok = await limited(() => verify(against, password))
    return ok && storedHash !== null
  } catch {
    return false
  }
}

/** Read on first use (~0.1 s, once per process), so that a start and an idle server don't pay for it. */
let common: WordSet | undefined
const commonPasswords = (): WordSet => (common ??= readCommonPasswords(PASSWORD_MIN))

export interface PasswordContext {
  /** The account's email: neither it nor its local part (when 4 characters or more) may be in the password. */
  email?: string
  /** The realm's (or the admin portal's) name, which an attacker tries first. */
  realmName?: string
}

/**
 * What is wrong with a new password, or null; one message per problem, saying what to fix. The same policy
 * everywhere a password is set (signup, profile, reset, the admin portal, the CLI), after NIST SP 800-63B:
 * a minimum length, no composition rules, and no password from a list of common ones or made of words
 * that are specific to this account (its email, the realm's name).
 */
export function passwordProblem(password: string, context: PasswordContext): string | null {
  if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`
  if (password.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`
  if (password.trim() === '') return 'Use letters, digits or symbols, not only spaces.'
  const folded = fold(password)
  if (commonPasswords().has(folded)) return 'This password is one of the most common ones, which attackers try first. Choose a less common one: a few unrelated words work well.'
  if (context.email) {
    const email = fold(context.email)
    // The local part without a +tag; shorter than 4 characters, it is part of too many ordinary words to refuse.
    const local = email.split('@')[0]!.split('+')[0]!
    if (folded.includes(email) || (local.length >= 4 && folded.includes(local))) {
      return 'Choose a password that doesn’t contain your email address or the name before its @.'
    }
  }
  if (context.realmName) {
    const name = fold(context.realmName)
    // With and without its spaces ("Acme Corp" and "acmecorp"); names of one or two characters are in everything.
    const names = [name, name.replace(/\s+/g, '')].filter((n) => n.length >= 3)
    if (names.some((n) => folded.includes(n))) return `Choose a password that doesn’t contain the name “${context.realmName.trim()}”.`
  }
  return null
}
