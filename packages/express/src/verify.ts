import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose'
import type { IssuerSource } from './issuer.js'
import { remoteKeySet } from './jwks.js'
import type { Logger } from './options.js'
import type { StaticKey } from './static-key.js'
import type { TokenClaims } from './types.js'

/** What a token turned out to be. Expected outcomes are values, never exceptions. */
export type Verification =
  | { status: 'valid'; claims: TokenClaims; renewSoon: boolean }
  | { status: 'expired'; claims: TokenClaims }
  | { status: 'invalid'; reason: InvalidReason; found?: string; expected?: string }

/**
 * Why a token was refused. `issuer`, `algorithm`, `unknown_key` and `future` come with what the token `found`
 * (its `iss`, `alg`, `kid`, `iat`) and, for the first two, what was `expected`.
 */
export type InvalidReason = 'malformed' | 'unknown_key' | 'signature' | 'claims' | 'issuer' | 'algorithm' | 'future'

export interface VerifierOptions {
  issuer: IssuerSource
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

function headerOf(token: string): { alg?: string; kid?: string } {
  try {
    return decodeProtectedHeader(token)
  } catch {
    return {}
  }
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
  // The issuer is checked after jose (it may change with the realm's discovery document): see `issued`.
  const verifyOptions = {
    algorithms,
    requiredClaims: ['exp', 'iat', 'sub'],
    clockTolerance: LEEWAY_SECONDS,
  }
  const verified = new Map<string, TokenClaims>()

  function remember(token: string, claims: TokenClaims): void {
    if (verified.size >= CACHE_SIZE) verified.delete(verified.keys().next().value as string)
    verified.set(token, claims)
  }

  /** The verdict on an authentic token: its issuer must be the realm's, and it can't be issued in the future. */
  async function issued(claims: TokenClaims, now: number, verdict: () => Verification): Promise<Verification> {
    if (!(await options.issuer.accepts(claims.iss))) {
      return { status: 'invalid', reason: 'issuer', found: claims.iss, expected: options.issuer.current() }
    }
    // AuthRocket refuses a token issued more than the leeway ahead of its clock; jose checks only nbf and exp.
    if (claims.iat > now + LEEWAY_SECONDS) return { status: 'invalid', reason: 'future', found: String(claims.iat) }
    return verdict()
  }

  async function verify(token: string): Promise<Verification> {
    const now = Date.now() / 1000
    const known = verified.get(token)
    if (known !== undefined) return issued(known, now, () => judge(known, now))
    if (token.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(token)) return { status: 'invalid', reason: 'malformed' }

    try {
      const { payload } = await jwtVerify(token, getKey, verifyOptions)
      if (!hasRequiredShape(payload)) return { status: 'invalid', reason: 'claims' }
      return await issued(payload, now, () => {
        remember(token, payload)
        return judge(payload, now)
      })
    } catch (error) {
      // jose checks the signature and nbf before expiry: an expired token is otherwise authentic.
      if (error instanceof errors.JWTExpired && hasRequiredShape(error.payload)) {
        const claims = error.payload
        return issued(claims, now, () => ({ status: 'expired', claims }))
      }
      if (error instanceof errors.JOSEAlgNotAllowed) {
        return { status: 'invalid', reason: 'algorithm', found: headerOf(token).alg, expected: algorithms[0] }
      }
      if (error instanceof errors.JWKSNoMatchingKey) return { status: 'invalid', reason: 'unknown_key', found: headerOf(token).kid }
      if (error instanceof errors.JWSSignatureVerificationFailed) return { status: 'invalid', reason: 'signature' }
      if (error instanceof errors.JWTClaimValidationFailed) return { status: 'invalid', reason: 'claims' }
      return { status: 'invalid', reason: 'malformed' }
    }
  }

  verify.cached = (token: string): Verification | undefined => {
    const known = verified.get(token)
    // A token whose issuer is no longer the realm's takes the full path, which may look at the realm again.
    if (known === undefined || known.iss !== options.issuer.current()) return undefined
    return judge(known, Date.now() / 1000)
  }
  return verify
}
