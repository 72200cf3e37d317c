import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'

/**
 * The master key that seals private keys at rest: AIRLOCK_SECRET when set, else `<data>/secret.key`,
 * created on first start, readable by its owner only.
 */
export function loadMasterKey(secret: string | undefined, dataDir: string): string {
  if (secret !== undefined) return secret
  const file = join(dataDir, 'secret.key')
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const key = randomBytes(32).toString('base64url')
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' })
  return key
}
