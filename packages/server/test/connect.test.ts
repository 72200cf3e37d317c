import { createPublicKey } from 'node:crypto'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PUBLISH_AHEAD_MS } from '../src/services/keys.js'
import { Browser, claimsOf, tokenFrom } from './support/browser.js'
import { DIALECTS } from './support/dialects.js'
import { getJson, readJson } from './support/json.js'
import { startServer, type TestServer } from './support/server.js'

const APP = 'http://localhost:3000'

async function loggedIn(server: TestServer, email: string): Promise<{ browser: Browser; token: string }> {
  const browser = new Browser(server.url)
  await browser.get('/signup')
  const res = await browser.post(`/signup?redirect_uri=${encodeURIComponent(APP)}`, { email, password: 'correct horse battery' })
  return { browser, token: tokenFrom(res) }
}

const renew = (server: TestServer, token: string) =>
  fetch(`${server.url}/connect/renew`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })

describe.each(DIALECTS)('tokens, JWKS and renewal on %s', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startServer({ dialect, settings: [`login_urls=${APP}`] })
  })
  afterAll(() => server.close())

  const setClock = (offsetMs: number) => {
    server.booted.services.clock = () => new Date(Date.now() + offsetMs)
  }

  it("publishes the realm's keys with kid, alg, use, n, e and x5c (the SubjectPublicKeyInfo)", async () => {
    const res = await fetch(`${server.url}/connect/jwks`)
    expect(res.status).toBe(200)
    const { keys } = await readJson(res)
    expect(keys).toHaveLength(1)
    const [key] = keys
    expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' })
    expect(key.kid).toMatch(/^key_/)
    const fromX5c = createPublicKey({ key: Buffer.from(key.x5c[0], 'base64'), format: 'der', type: 'spki' }).export({ format: 'jwk' })
    expect(fromX5c.n).toBe(key.n)
  })

  it('signs tokens that verify against the JWKS with RS256 and the realm as issuer', async () => {
    const { token } = await loggedIn(server, 'jwks@example.com')
    const { keys } = await getJson(`${server.url}/connect/jwks`)
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet({ keys }), { algorithms: ['RS256'], issuer: server.url })
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: keys[0].kid })
    expect(payload.rid).toBe(server.booted.realm.id)
  })

  it('renews a token of a live session with fresh iat/exp and the same session', async () => {
    const { token } = await loggedIn(server, 'renew@example.com')
    setClock(90_000)
    try {
      const res = await renew(server, token)
      expect(res.status).toBe(200)
      const fresh = (await readJson(res)).token
      const before = claimsOf(token)
      const after = claimsOf(fresh)
      expect(after).toMatchObject({ sub: before.sub, sid: before.sid, email: 'renew@example.com' })
      expect(after.iat).toBeGreaterThanOrEqual(before.iat + 89)
    } finally {
      setClock(0)
    }
  })

  /** The clock at `seconds` after the token's `exp`. */
  const afterExp = (token: string, seconds: number) => {
    const exp = claimsOf(token).exp as number
    server.booted.services.clock = () => new Date((exp + seconds) * 1000)
  }

  it('renews an expired token within the grace after its exp (by default the token lifetime, 60 minutes)', async () => {
    const { token } = await loggedIn(server, 'expired@example.com')
    afterExp(token, 30 * 60)
    try {
      expect((await renew(server, token)).status).toBe(200)
    } finally {
      setClock(0)
    }
  })

  it('an expired token past the grace no longer renews, though its session lives: 401 token_too_old', async () => {
    const { browser, token } = await loggedIn(server, 'too-old@example.com')
    afterExp(token, 60 * 60 + 1)
    try {
      const res = await renew(server, token)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
      expect(await readJson(res)).toEqual({ error: 'token_too_old', message: 'This token expired too long ago to be renewed; log in again.' })
      // The LoginRocket session is untouched: the browser logs straight back in with a fresh token.
      const again = await browser.get(`/login?redirect_uri=${encodeURIComponent(APP)}`)
      expect(again.status).toBe(303)
      expect(claimsOf(tokenFrom(again)).sid).toBe(claimsOf(token).sid)
    } finally {
      setClock(0)
    }
  })

  it('renews up to the last second of the grace and not one second after', async () => {
    const { token } = await loggedIn(server, 'boundary@example.com')
    try {
      afterExp(token, 60 * 60)
      expect((await renew(server, token)).status).toBe(200)
      afterExp(token, 60 * 60 + 1)
      expect((await renew(server, token)).status).toBe(401)
    } finally {
      setClock(0)
    }
  })

  it('follows the realm’s renew_grace_minutes', async () => {
    await server.settings('renew_grace_minutes=5')
    try {
      const { token } = await loggedIn(server, 'short-grace@example.com')
      afterExp(token, 5 * 60)
      expect((await renew(server, token)).status).toBe(200)
      afterExp(token, 5 * 60 + 1)
      expect(await readJson(await renew(server, token))).toMatchObject({ error: 'token_too_old' })
    } finally {
      setClock(0)
      await server.settings('renew_grace_minutes=')
    }
  })

  it('answers 401 session_ended with its WWW-Authenticate challenge once the session has ended by logout', async () => {
    const { browser, token } = await loggedIn(server, 'ended@example.com')
    await browser.get(`/logout?session=${claimsOf(token).sid}`)
    const res = await renew(server, token)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="loginrocket", error="invalid_token"')
    expect(await readJson(res)).toEqual({ error: 'session_ended', message: 'The login session has ended; log in again.' })
  })

  it('answers 401 once the session lifetime is over', async () => {
    // A session shorter than the token's life plus its grace, so that the session's end is what refuses it.
    await server.settings('session_minutes=90')
    try {
      const { token } = await loggedIn(server, 'lifetime@example.com')
      setClock(91 * 60_000)
      const res = await renew(server, token)
      expect(res.status).toBe(401)
      expect(await readJson(res)).toMatchObject({ error: 'session_ended' })
    } finally {
      setClock(0)
      await server.settings('session_minutes=43200')
    }
  })

  it('answers 401 to tampered, foreign and garbage tokens', async () => {
    const { token } = await loggedIn(server, 'tamper@example.com')
    const [header, payload, signature] = token.split('.')
    const claims = { ...claimsOf(token), sub: 'usr_someoneelse' }
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`
    for (const bad of [tampered, none, 'garbage', `${token}x`]) expect((await renew(server, bad)).status).toBe(401)
    expect((await fetch(`${server.url}/connect/renew`, { method: 'POST' })).status).toBe(401)
  })

  it('rotates keys: publishes the new key at once, signs with it only later, keeps the old until its tokens expire', async () => {
    const services = server.booted.services
    const realm = (await services.realms.byId(server.booted.realm.id))!
    const oldKid = (await getJson(`${server.url}/connect/jwks`)).keys[0].kid
    const rotated = await services.keys.rotate(realm, services.clock())

    const published = (await getJson(`${server.url}/connect/jwks`)).keys.map((k: { kid: string }) => k.kid)
    expect(published.sort()).toEqual([oldKid, rotated.id].sort())
    const { token: now } = await loggedIn(server, 'rotate1@example.com')
    expect(JSON.parse(Buffer.from(now.split('.')[0]!, 'base64url').toString()).kid).toBe(oldKid)

    setClock(PUBLISH_AHEAD_MS + 1000)
    try {
      const { token: later } = await loggedIn(server, 'rotate2@example.com')
      expect(JSON.parse(Buffer.from(later.split('.')[0]!, 'base64url').toString()).kid).toBe(rotated.id)
      // A token the old key signed still renews while the old key is published.
      expect((await renew(server, now)).status).toBe(200)
      setClock(PUBLISH_AHEAD_MS + 2 * 3600_000)
      const afterRetire = (await getJson(`${server.url}/connect/jwks`)).keys.map((k: { kid: string }) => k.kid)
      expect(afterRetire).toEqual([rotated.id])
    } finally {
      setClock(0)
    }
  })

  it('signs with HS256 and a jsk_ secret when the realm asks, and never publishes the secret', async () => {
    await server.settings('jwt_algo=hs256')
    const services = server.booted.services
    const realm = (await services.realms.byId(server.booted.realm.id))!
    await services.keys.ensure(realm, services.clock())
    try {
      const { token } = await loggedIn(server, 'hs256@example.com')
      const secret = await services.keys.appKey(realm, services.clock())
      expect(secret).toMatch(/^jsk_/)
      const { protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'], issuer: server.url })
      expect(protectedHeader.alg).toBe('HS256')
      const jwks = await (await fetch(`${server.url}/connect/jwks`)).text()
      expect(jwks).not.toContain(secret)
      expect((await renew(server, token)).status).toBe(200)
    } finally {
      await server.settings('jwt_algo=rs256')
    }
  })

  it("serves a discovery document with the realm's issuer, JWKS and algorithm, following the realm's settings", async () => {
    const discovery = async () => {
      const res = await fetch(`${server.url}/.well-known/openid-configuration`)
      expect(res.status).toBe(200)
      expect(res.headers.get('cache-control')).toBe('public, max-age=60')
      return readJson(res)
    }
    expect(await discovery()).toEqual({
      issuer: server.url,
      authorization_endpoint: `${server.url}/login`,
      jwks_uri: `${server.url}/connect/jwks`,
      id_token_signing_alg_values_supported: ['RS256'],
      subject_types_supported: ['public'],
    })
    await server.settings('issuer=https://authrocket.com', 'jwt_algo=hs256')
    try {
      const realm = (await server.booted.services.realms.byId(server.booted.realm.id))!
      await server.booted.services.keys.ensure(realm, server.booted.services.clock())
      expect(await discovery()).toMatchObject({ issuer: 'https://authrocket.com', id_token_signing_alg_values_supported: ['HS256'] })
      // The issuer it names is the one the realm's tokens carry.
      const { token } = await loggedIn(server, 'discovery@example.com')
      expect(claimsOf(token).iss).toBe('https://authrocket.com')
    } finally {
      await server.settings('issuer=', 'jwt_algo=rs256')
    }
    expect((await discovery()).issuer).toBe(server.url)
  })

  it('GET /healthz answers 200 while the database answers', async () => {
    const res = await fetch(`${server.url}/healthz`)
    expect(res.status).toBe(200)
    expect(await readJson(res)).toEqual({ status: 'ok' })
  })
})
