import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose'

/**
 * The login tokens of a run: RS256, each with its own jti, signed by a throwaway key that a
 * loopback JWKS server publishes. Signing is the slow part (an RSA-2048 private-key operation,
 * about 7,000 a second on this machine), so the key and the tokens are kept in `.cache/` and
 * reused by later runs while they are young. A token's `iss` is the JWKS server's origin, so the
 * cache is tied to its port: when that port is taken, or the key is a week old, everything is
 * made anew. Each run starts a new server process with an empty token cache, so a token reused
 * from an earlier run is still never seen by the server under test.
 */

interface KeyFile {
  version: typeof VERSION
  port: number
  kid: string
  publicJwk: JWK
  privateJwk: JWK
  /** Seconds since the epoch; every token has this iat and iat + TOKEN_LIFE_SEC as exp. */
  iat: number
}

const VERSION = 2
/** Tokens live 30 days; a key and its tokens are reused for 7, far from the last tenth of the life where renewal starts. */
const TOKEN_LIFE_SEC = 30 * 24 * 3600
const REUSE_SEC = 7 * 24 * 3600
export const COOKIE_TOKEN = 0
export const BEARER_TOKEN = 1
export const FIRST_FRESH_TOKEN = 2
/** The user every token is for. */
export const USER_ID = 'usr_bench'

function claimsFor(jti: string) {
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

/** The tokens file of a cache directory: one token a line. */
export const tokensFile = (dir: string) => `${dir}/tokens.txt`

export async function readTokens(dir: string): Promise<string[]> {
  try {
    return (await readFile(tokensFile(dir), 'utf8')).split('\n').filter((line) => line !== '')
  } catch {
    return []
  }
}

async function readKey(dir: string): Promise<KeyFile | null> {
  try {
    const key = JSON.parse(await readFile(`${dir}/key.json`, 'utf8')) as KeyFile
    return key.version === VERSION ? key : null
  } catch {
    return null
  }
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

/** The LoginRocket stand-in (`GET /connect/jwks` only) and the tokens it issued. */
export class TokenIssuer {
  jwksHits = 0
  readonly tokens: string[]
  #server: Server
  #key: KeyFile
  #dir: string
  #log: (line: string) => void

  private constructor(server: Server, key: KeyFile, tokens: string[], dir: string, log: (line: string) => void) {
    this.#server = server
    this.#key = key
    this.tokens = tokens
    this.#dir = dir
    this.#log = log
    const jwks = JSON.stringify({ keys: [{ ...key.publicJwk, kid: key.kid, alg: 'RS256', use: 'sig' }] })
    server.on('request', (req, res) => {
      if (req.method === 'GET' && req.url === '/connect/jwks') {
        this.jwksHits++
        res.writeHead(200, { 'content-type': 'application/json' }).end(jwks)
      } else {
        res.writeHead(404).end()
      }
    })
  }

  /** Starts the JWKS server on loopback with the cached key when it is usable, else with a new one. */
  static async start(dir: string, log: (line: string) => void): Promise<TokenIssuer> {
    const server = createServer()
    const now = Math.floor(Date.now() / 1000)
    const cached = await readKey(dir)
    const why =
      cached === null
        ? 'none cached'
        : now - cached.iat > REUSE_SEC || cached.iat > now
          ? 'the cached one is too old'
          : !(await listen(server, cached.port))
            ? `port ${cached.port} of the cached one is taken`
            : null
    if (cached !== null && why === null) {
      const tokens = await readTokens(dir)
      log(`Reusing the cached key and its ${tokens.length} tokens (signed ${((now - cached.iat) / 3600).toFixed(1)} h ago)`)
      return new TokenIssuer(server, cached, tokens, dir, log)
    }

    if (!(await listen(server, 0))) throw new Error('cannot listen on 127.0.0.1')
    log(`New signing key (${why})`)
    const kid = `bench-${randomUUID().slice(0, 8)}`
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
    const key: KeyFile = {
      version: VERSION,
      port: (server.address() as AddressInfo).port,
      kid,
      publicJwk: await exportJWK(publicKey),
      privateJwk: await exportJWK(privateKey),
      iat: now,
    }
    await mkdir(dir, { recursive: true })
    await rm(tokensFile(dir), { force: true })
    await writeFile(`${dir}/key.json`, JSON.stringify(key))
    return new TokenIssuer(server, key, [], dir, log)
  }

  get url(): string {
    return `http://127.0.0.1:${this.#key.port}`
  }

  /**
   * Makes sure there are at least `count` tokens, signing (and caching) the missing ones many at a
   * time: WebCrypto signs on libuv's thread pool, so both cores work.
   */
  async ensure(count: number): Promise<void> {
    const missing = count - this.tokens.length
    if (missing <= 0) return
    if (missing > 100) this.#log(`Signing ${missing} more tokens for the fresh-token scenario (cached in ${this.#dir} for later runs)…`)
    const started = performance.now()
    const privateKey = await importJWK(this.#key.privateJwk, 'RS256')
    const { kid, iat } = this.#key
    const BATCH = 512
    for (let done = 0; done < missing; done += BATCH) {
      const batch: Promise<string>[] = []
      for (let i = done; i < Math.min(missing, done + BATCH); i++) {
        batch.push(
          new SignJWT(claimsFor(randomUUID()))
            .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
            .setSubject(USER_ID)
            .setIssuer(this.url)
            .setIssuedAt(iat)
            .setExpirationTime(iat + TOKEN_LIFE_SEC)
            .sign(privateKey),
        )
      }
      const signed = await Promise.all(batch)
      await appendFile(tokensFile(this.#dir), `${signed.join('\n')}\n`)
      this.tokens.push(...signed)
    }
    const seconds = (performance.now() - started) / 1000
    this.#log(`  signed ${missing} tokens in ${seconds.toFixed(1)} s (${Math.round(missing / seconds)}/s); ${this.tokens.length} in the pool`)
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise((resolve) => this.#server.close(resolve))
  }
}
