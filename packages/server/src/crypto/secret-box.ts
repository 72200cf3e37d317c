import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

/** Seals secrets at rest (private signing keys) with AES-256-GCM under the master key. */
export interface SecretBox {
  seal(plain: string): string
  open(sealed: string): string
}

const VERSION = 'v1'

export function secretBox(masterKey: string): SecretBox {
  // The master key may be any high-entropy string; SHA-256 gives the 32-byte AES key.
  const key = createHash('sha256').update(masterKey).digest()
  return {
    seal(plain) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.')
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split('.')
      if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('sealed secret has an unknown format')
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      try {
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
      } catch {
        throw new Error('cannot open a sealed secret: AIRLOCK_SECRET (or the key file) is not the one it was sealed with')
      }
    },
  }
}
