import { errors, jwtVerify, type JWTPayload } from 'jose'
import { remoteKeySet } from './jwks.js'
import type { Logger } from './options.js'
import type { StaticKey } from './static-key.js'
import type { TokenClaims } from './types.js'

/** What a token turned out to be. Expected outcomes are values, never exceptions. */
export type Verification =
  | { status: 'valid'; claims: TokenClaims; renewSoon: boolean }
  | { status: 'expired'; claims: TokenClaims }
  | { status: 'invalid'; reason: InvalidReason }

export type InvalidReason = 'malformed' | 'unknown_key' | 'signature' | 'claims'

export interface VerifierOptions {
  issuer: string
  staticKey: StaticKey | null
  jwksUrl: string
  logger: Logger
  jwksCooldownMs?: number
}

export interface Verifier {
  (token: string): Promise<Verification>
  /** The verdict on a token verified before, without waiting; undefined when it isn't known. */
  cached(token: string): Verification | undefined
}

const LEEWAY_SECONDS = 5
const MAX_TOKEN_LENGTH = 8192
const CACHE_SIZE = 10_000
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/

function hasRequiredShape(payload: JWTPayload): payload is JWTPayload & TokenClaims {
  return typeof payload.sub === 'string' && payload.sub !== '' && typeof payload.iss === 'string'
}

function judge(claims: TokenClaims, nowSeconds: number): Verification {
  if (claims.exp <= nowSeconds - LEEWAY_SECONDS) return { status: 'expired', claims }
  const life = claims.exp - claims.iat
  return { status: 'valid', claims, renewSoon: claims.exp - nowSeconds < life / 10 }
}

/**
 * Verifies login tokens with jose, the algorithm pinned by the key. Verified tokens are remembered
 * (by their exact text) so a cookie sent on every request is checked cryptographically once.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const algorithms = [options.staticKey?.alg ?? 'RS256']
  const staticKey = options.staticKey
  const getKey = staticKey
    ? () => staticKey.load()
    : remoteKeySet(options.jwksUrl, { logger: options.logger, cooldownMs: options.jwksCooldownMs })
  const verifyOptions = {
    algorithms,
    issuer: options.issuer,
    requiredClaims: ['exp', 'iat', 'sub'],
    clockTolerance: LEEWAY_SECONDS,
  }
  const verified = new Map<string, TokenClaims>()

  function remember(token: string, claims: TokenClaims): void {
    if (verified.size >= CACHE_SIZE) verified.delete(verified.keys().next().value as string)
    verified.set(token, claims)
  }

  async function verify(token: string): Promise<Verification> {
    const now = Date.now() / 1000
    const known = verified.get(token)
    if (known !== undefined) return judge(known, now)
    if (token.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(token)) return { status: 'invalid', reason: 'malformed' }

    try {
      const { payload } = await jwtVerify(token, getKey, verifyOptions)
      if (!hasRequiredShape(payload)) return { status: 'invalid', reason: 'claims' }
      remember(token, payload)
      return judge(payload, now)
    } catch (error) {
      // jose checks the signature, issuer and nbf before expiry: an expired token is otherwise authentic.
      if (error instanceof errors.JWTExpired && hasRequiredShape(error.payload)) {
        return { status: 'expired', claims: error.payload }
      }
      if (error instanceof errors.JWKSNoMatchingKey) return { status: 'invalid', reason: 'unknown_key' }
      if (error instanceof errors.JWSSignatureVerificationFailed) return { status: 'invalid', reason: 'signature' }
      if (error instanceof errors.JWTClaimValidationFailed) return { status: 'invalid', reason: 'claims' }
      return { status: 'invalid', reason: 'malformed' }
    }
  }

  verify.cached = (token: string): Verification | undefined => {
    const known = verified.get(token)
    return known === undefined ? undefined : judge(known, Date.now() / 1000)
  }
  return verify
}
