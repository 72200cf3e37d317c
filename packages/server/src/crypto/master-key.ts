import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'

/**
 * The master key that seals private keys at rest: AIRLOCK_SECRET when set, else `<data>/secret.key`,
 * created on first start, readable by its owner only.
 */
export function loadMasterKey(secret: string | undefined, dataDir: string): string {
  const existing = readMasterKey(secret, dataDir)
  if (existing !== undefined) return existing
  const file = join(dataDir, 'secret.key')
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const key = randomBytes(32).toString('base64url')
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' })
  return key
}

/** The master key there already is (AIRLOCK_SECRET, else the key file), without ever creating one: for restore. */
export function readMasterKey(secret: string | undefined, dataDir: string): string | undefined {
  if (secret !== undefined) return secret
  const file = join(dataDir, 'secret.key')
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined
}
