import { createHash, randomBytes } from 'node:crypto'

export type IdPrefix = 'rl' | 'usr' | 'org' | 'mb' | 'kss' | 'nvt' | 'crd' | 'ks' | 'ott' | 'key' | 'adm' | 'ads'

/** `prefix_` and 128 random bits in base32 (lowercase, URL-safe, no ambiguous case). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${base32(randomBytes(16))}`
}

/** A secret for links and cookies: 256 random bits, URL-safe. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url')
}

/** How secrets are stored: only their SHA-256 (they are random, so no salt or slow hash is needed). */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url')
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'

function base32(bytes: Buffer): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}
