import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname } from 'node:path'
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'

/**
 * The login tokens of a run: RS256, signed by a throwaway key published by a loopback JWKS server.
 * Their `iss` is that server's origin, so a pool is tied to its port; it is kept on disk and reused
 * while it is young and large enough and the port is free, since signing is the slow part
 * (an RSA-2048 private-key operation, a few thousand per second on this machine).
 */
export interface TokenPool {
  version: typeof POOL_VERSION
  port: number
  kid: string
  publicJwk: JWK
  /** Seconds since the epoch; every token has this iat and `exp`. */
  iat: number
  exp: number
  /** Every token differs (a unique jti); [0] is the cookie token, [1] the bearer token, the rest are fresh ones. */
  tokens: string[]
}

const POOL_VERSION = 1
/** Tokens live 30 days; a pool is reused for 7, far from the last tenth of the life where renewal starts. */
const TOKEN_LIFE_SEC = 30 * 24 * 3600
const POOL_REUSE_SEC = 7 * 24 * 3600
export const COOKIE_TOKEN = 0
export const BEARER_TOKEN = 1
export const FIRST_FRESH_TOKEN = 2
/** The user every token is for. */
export const USER_ID = 'usr_bench'

export function claimsFor(jti: string) {
  return {
    jti,
    rid: 'rl_bench',
    sid: 'kss_bench',
    given_name: 'Dave',
    family_name: 'Smith',
    name: 'Dave Smith',
    preferred_username: 'dave',
    email: 'dave@example.com',
    email_verified: true,
    locale: 'en',
    orgs: [
      { mid: 'mb_1', oid: 'org_1', name: 'Widgets, Inc.', perm: ['forum:moderator', 'site:admin'], selected: true },
      { mid: 'mb_2', oid: 'org_2', name: 'Gadgets Ltd', perm: ['forum:reader'] },
    ],
  }
}

async function readPool(path: string): Promise<TokenPool | null> {
  try {
    const pool = JSON.parse(await readFile(path, 'utf8')) as TokenPool
    return pool.version === POOL_VERSION && Array.isArray(pool.tokens) ? pool : null
  } catch {
    return null
  }
}

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey']

/** Signs `count` tokens, many at a time: WebCrypto signs on libuv's thread pool, so both cores work. */
async function signPool(count: number, issuer: string, kid: string, privateKey: PrivateKey, iat: number, log: (line: string) => void) {
  const tokens: string[] = []
  const started = performance.now()
  const BATCH = 512
  for (let i = 0; i < count; i += BATCH) {
    const batch: Promise<string>[] = []
    for (let j = i; j < Math.min(count, i + BATCH); j++) {
      batch.push(
        new SignJWT(claimsFor(randomUUID()))
          .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
          .setSubject(USER_ID)
          .setIssuer(issuer)
          .setIssuedAt(iat)
          .setExpirationTime(iat + TOKEN_LIFE_SEC)
          .sign(privateKey),
      )
    }
    tokens.push(...(await Promise.all(batch)))
    if ((i / BATCH) % 40 === 39) log(`  signed ${tokens.length} / ${count}`)
  }
  const seconds = (performance.now() - started) / 1000
  log(`  signed ${count} tokens in ${seconds.toFixed(1)} s (${Math.round(count / seconds)}/s)`)
  return tokens
}

export interface LoginRocketStandIn {
  url: string
  pool: TokenPool
  jwksHits(): number
  close(): Promise<void>
}

function listen(server: Server, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onError = () => resolve(false)
    server.once('error', onError)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError)
      resolve(true)
    })
  })
}

/**
 * Starts the loopback JWKS server (`GET /connect/jwks`, nothing else) and gets a pool of at least
 * `needed` tokens issued by it: the cached one at `cachePath` when usable, else a new key and pool.
 */
export async function startLoginRocket(cachePath: string, needed: number, log: (line: string) => void): Promise<LoginRocketStandIn> {
  let hits = 0
  let jwks = '{"keys":[]}'
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/connect/jwks') {
      hits++
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks)
    } else {
      res.writeHead(404).end()
    }
  })

  const now = Math.floor(Date.now() / 1000)
  let pool = await readPool(cachePath)
  const why =
    pool === null
      ? 'no cached pool'
      : pool.tokens.length < needed
        ? `the cached pool has ${pool.tokens.length} tokens, ${needed} are needed`
        : now - pool.iat > POOL_REUSE_SEC || pool.iat > now
          ? 'the cached pool is too old'
          : !(await listen(server, pool.port))
            ? `port ${pool.port} of the cached pool is taken`
            : null

  if (why !== null || pool === null) {
    if (server.listening) await new Promise((resolve) => server.close(resolve))
    if (!(await listen(server, 0))) throw new Error('cannot listen on 127.0.0.1')
    const port = (server.address() as AddressInfo).port
    log(`Signing a new token pool (${why}): ${needed} RS256 tokens, each with its own jti`)
    const kid = `bench-${randomUUID().slice(0, 8)}`
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
    const tokens = await signPool(needed, `http://127.0.0.1:${port}`, kid, privateKey, now, log)
    pool = { version: POOL_VERSION, port, kid, publicJwk: await exportJWK(publicKey), iat: now, exp: now + TOKEN_LIFE_SEC, tokens }
    await mkdir(dirname(cachePath), { recursive: true })
    await writeFile(`${cachePath}.tmp`, JSON.stringify(pool))
    await rename(`${cachePath}.tmp`, cachePath)
  } else {
    log(`Reusing the cached token pool (${pool.tokens.length} tokens, signed ${((now - pool.iat) / 3600).toFixed(1)} h ago)`)
  }

  jwks = JSON.stringify({ keys: [{ ...pool.publicJwk, kid: pool.kid, alg: 'RS256', use: 'sig' }] })
  const finalPool = pool
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pool: finalPool,
    jwksHits: () => hits,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
