import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose'
import type { webcrypto } from 'node:crypto'

type Key = webcrypto.CryptoKey

export interface SigningKey {
  kid: string
  privateKey: Key
  publicKey: Key
}

export async function rsaKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  return { kid, privateKey, publicKey }
}

export interface TokenOptions {
  sub?: string
  sid?: string
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number
  /** Total lifetime in seconds (iat = exp - lifetime). */
  lifetime?: number
  claims?: JWTPayload
  key?: SigningKey
  issuer?: string
}

/**
 * A LoginRocket stand-in on loopback: publishes a JWKS, signs tokens and answers
 * `POST /connect/renew` for sessions it considers alive. Counts every request it gets.
 */
export class FakeLoginRocket {
  readonly keys: SigningKey[] = []
  readonly ended = new Set<string>()
  jwksHits = 0
  discoveryHits = 0
  /** The issuer its discovery document names (and its tokens carry by default); its URL when null. */
  issuer: string | null = null
  /** When set, the discovery document answers with this status instead. */
  discoveryStatus: number | null = null
  renewHits = 0
  renewDelayMs = 0
  /** When set, /connect/renew answers with this status and no token. */
  renewStatus: number | null = null
  /** Claims the next renewals add (e.g. a changed name). */
  renewClaims: JWTPayload = {}
  url = ''
  #server: Server | null = null

  static async start(): Promise<FakeLoginRocket> {
    const lr = new FakeLoginRocket()
    lr.keys.push(await rsaKey('k1'))
    await lr.listen()
    return lr
  }

  async listen(port = 0): Promise<void> {
    this.#server = createServer((req, res) => void this.#handle(req, res))
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  async close(): Promise<void> {
    const server = this.#server
    this.#server = null
    if (server) {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }

  get port(): number {
    return Number(new URL(this.url).port)
  }

  async sign(options: TokenOptions = {}): Promise<string> {
    const key = options.key ?? this.keys[0]!
    const now = Math.floor(Date.now() / 1000)
    const exp = now + (options.expiresIn ?? 3600)
    const iat = exp - (options.lifetime ?? Math.max(options.expiresIn ?? 3600, 60))
    return new SignJWT({
      rid: 'rl_test',
      sid: options.sid ?? 'kss_1',
      given_name: 'Dave',
      family_name: 'Smith',
      name: 'Dave Smith',
      email: 'dave@example.com',
      email_verified: true,
      orgs: [{ mid: 'mb_1', oid: 'org_1', name: 'Widgets, Inc.', perm: ['forum:moderator'], selected: true }],
      ...options.claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
      .setSubject(options.sub ?? 'usr_1')
      .setIssuer(options.issuer ?? this.issuer ?? this.url)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(key.privateKey)
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url === '/connect/jwks') {
      this.jwksHits++
      const keys = await Promise.all(
        this.keys.map(async (k) => ({ ...(await exportJWK(k.publicKey)), kid: k.kid, alg: 'RS256', use: 'sig' })),
      )
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }))
      return
    }
    if (req.url === '/.well-known/openid-configuration') {
      this.discoveryHits++
      if (this.discoveryStatus !== null) return void res.writeHead(this.discoveryStatus).end()
      const document = { issuer: this.issuer ?? this.url, jwks_uri: `${this.url}/connect/jwks` }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document))
      return
    }
    if (req.url === '/connect/renew' && req.method === 'POST') {
      this.renewHits++
      if (this.renewDelayMs) await new Promise((r) => setTimeout(r, this.renewDelayMs))
      if (this.renewStatus !== null) return void res.writeHead(this.renewStatus).end()
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
      const claims = token ? JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) : null
      if (!claims || this.ended.has(claims.sid)) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"session_ended"}')
        return
      }
      const fresh = await this.sign({ sub: claims.sub, sid: claims.sid, claims: this.renewClaims })
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: fresh }))
      return
    }
    res.writeHead(404).end()
  }
}
