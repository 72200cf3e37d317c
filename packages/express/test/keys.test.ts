import { exportSPKI, SignJWT } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { FakeLoginRocket, rsaKey } from './support/fake-loginrocket.js'
import { guideApp, useGuideApp } from './support/guide-app.js'
import { get, serve, type Running } from './support/http.js'
import express from 'express'

const userOf = async (app: Running, token: string) =>
  (await (await get(`${app.url}/`, { authorization: `Bearer ${token}` })).json()).user

describe('keys from the realm JWKS', () => {
  const env = useGuideApp(express)
  afterEach(() => {
    vi.useRealTimers()
  })

  it('are fetched once and cached for every token they sign', async () => {
    for (let i = 0; i < 5; i++) expect(await userOf(env.app, await env.lr.sign({ sub: `usr_${i}` }))).toBe(`usr_${i}`)
    expect(env.lr.jwksHits).toBe(1)
  })

  it('a flood of unknown kids costs at most one fetch per 30 seconds', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 31_000)
    const before = env.lr.jwksHits
    const strangers = await Promise.all(Array.from({ length: 5 }, (_, i) => rsaKey(`unknown-${i}`)))
    const tokens = await Promise.all(strangers.flatMap((key) => [1, 2, 3, 4].map(() => env.lr.sign({ key }))))
    const users = await Promise.all(tokens.map((token) => userOf(env.app, token)))
    expect(users.every((user: unknown) => user === null)).toBe(true)
    expect(env.lr.jwksHits - before).toBe(1)
  })

  it('a new key (rotation) is fetched once, shared by all requests waiting on it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 62_000)
    const rotated = await rsaKey('k2')
    env.lr.keys.push(rotated)
    const before = env.lr.jwksHits
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => env.lr.sign({ key: rotated, sub: `usr_r${i}` })))
    const users = await Promise.all(tokens.map((token) => userOf(env.app, token)))
    expect(users).toEqual(tokens.map((_, i) => `usr_r${i}`))
    expect(env.lr.jwksHits - before).toBe(1)
    expect(await userOf(env.app, await env.lr.sign())).toBe('usr_1')
  })

  it('known keys keep working while the JWKS is unreachable', async () => {
    const token = await env.lr.sign({ sub: 'usr_offline' })
    await env.lr.close()
    try {
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(Date.now() + 11 * 60_000)
      expect(await userOf(env.app, token)).toBe('usr_offline')
    } finally {
      await env.lr.listen(env.lr.port)
    }
  })
})

describe('a static key from AUTHROCKET_JWT_KEY', () => {
  let lr: FakeLoginRocket
  beforeAll(async () => {
    lr = await FakeLoginRocket.start()
  })
  afterAll(() => lr.close())

  async function withKey(jwtKey: string, run: (app: Running) => Promise<void>) {
    const app = await serve(guideApp(express, { authrocket: { loginrocketUrl: lr.url, jwtKey } }))
    try {
      await run(app)
    } finally {
      await app.close()
    }
  }

  it('as PEM verifies RS256 tokens without fetching the JWKS', async () => {
    const pem = await exportSPKI(lr.keys[0]!.publicKey)
    await withKey(pem, async (app) => {
      expect(await userOf(app, await lr.sign())).toBe('usr_1')
    })
    expect(lr.jwksHits).toBe(0)
  })

  it('as bare base64 SubjectPublicKeyInfo verifies RS256 tokens', async () => {
    const bare = (await exportSPKI(lr.keys[0]!.publicKey)).replace(/-----[A-Z ]+-----|\s/g, '')
    await withKey(bare, async (app) => {
      expect(await userOf(app, await lr.sign())).toBe('usr_1')
      expect(await userOf(app, await lr.sign({ key: await rsaKey('k1') }))).toBeNull()
    })
  })

  it('as a shared secret verifies HS256 tokens and nothing else', async () => {
    const secret = 'jsk_' + 'x'.repeat(40)
    const hs = (key: string) =>
      new SignJWT({ sid: 'kss_hs' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('usr_hs')
        .setIssuer(lr.url)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(key))
    await withKey(secret, async (app) => {
      expect(await userOf(app, await hs(secret))).toBe('usr_hs')
      expect(await userOf(app, await hs(secret + 'y'))).toBeNull()
      expect(await userOf(app, await lr.sign())).toBeNull()
    })
  })
})
