import { availableParallelism } from 'node:os'
import { hash, verify } from '@node-rs/argon2'

/** argon2id with OWASP's minimum (m=19456 KiB, t=2, p=1); hashing runs on libuv's pool, off the event loop. */
// `algorithm: 2` is Algorithm.Argon2id, a const enum that isolated modules cannot import.
export const ARGON2_OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const

export const PASSWORD_MIN = 8
/** Longer inputs are refused before hashing: they add nothing and cost memory. */
export const PASSWORD_MAX = 1000

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

/** What is wrong with a new password, or null. */
export function passwordProblem(password: string, context: { email?: string }): string | null {
  if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`
  if (password.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`
  if (context.email && password.trim().toLowerCase() === context.email.trim().toLowerCase()) {
    return 'Choose a password that is not your email address.'
  }
  return null
}
