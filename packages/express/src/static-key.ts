import { createPublicKey, webcrypto, type KeyObject } from 'node:crypto'

type VerifyKey = webcrypto.CryptoKey

/** A key configured by hand; its algorithm is fixed by what the key is, never by a token. */
export interface StaticKey {
  alg: 'RS256' | 'HS256'
  /** The key as WebCrypto wants it, imported once on first use. */
  load(): Promise<VerifyKey>
}

const MIN_SECRET_LENGTH = 32

function memo(load: () => Promise<VerifyKey>): () => Promise<VerifyKey> {
  let key: Promise<VerifyKey> | undefined
  return () => (key ??= load())
}

function rsaKey(publicKey: KeyObject): StaticKey {
  if (publicKey.asymmetricKeyType !== 'rsa') {
    throw new Error(`it is a ${publicKey.asymmetricKeyType} key; LoginRocket signs with RSA (RS256)`)
  }
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0
  if (bits < 2048) throw new Error(`the RSA key has ${bits} bits; at least 2048 are needed`)
  const spki = publicKey.export({ format: 'der', type: 'spki' })
  return {
    alg: 'RS256',
    load: memo(() =>
      webcrypto.subtle.importKey('spki', spki, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']),
    ),
  }
}

/**
 * Reads `AUTHROCKET_JWT_KEY`: a PEM or bare base64 SubjectPublicKeyInfo means RS256,
 * anything else is an HS256 shared secret. Throws an Error saying what is wrong with it.
 */
export function parseKey(raw: unknown): StaticKey {
  if (typeof raw !== 'string' || raw.trim() === '') throw new Error('it is empty')
  const value = raw.trim()

  if (value.startsWith('-----BEGIN')) {
    if (/PRIVATE KEY/.test(value)) throw new Error('it is a private key; configure the public key instead')
    let key: KeyObject
    try {
      key = createPublicKey(value)
    } catch {
      throw new Error('it looks like PEM but does not parse as a public key')
    }
    return rsaKey(key)
  }

  // A base64 SubjectPublicKeyInfo of a 2048-bit key is about 400 characters; a secret is far shorter.
  if (value.length >= 200 && /^[A-Za-z0-9+/=\s]+$/.test(value)) {
    let key: KeyObject
    try {
      key = createPublicKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'spki' })
    } catch {
      throw new Error('it looks like a base64 key but is not a SubjectPublicKeyInfo')
    }
    return rsaKey(key)
  }

  if (value.length < MIN_SECRET_LENGTH) {
    throw new Error(`as an HS256 secret it is too short (${value.length} characters; at least ${MIN_SECRET_LENGTH} are needed)`)
  }
  const secret = new TextEncoder().encode(value)
  return {
    alg: 'HS256',
    load: memo(() => webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])),
  }
}
