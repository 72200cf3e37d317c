import { exportSPKI, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { rsaKey } from './support/fake-loginrocket.js'
import { EXPRESS_VERSIONS, useGuideApp } from './support/guide-app.js'
import { get, setCookies } from './support/http.js'

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const part = (token: string, i: number) => JSON.parse(Buffer.from(token.split('.')[i]!, 'base64url').toString())

describe.each(EXPRESS_VERSIONS)('attacks on the middleware with %s', (_name, express) => {
  const env = useGuideApp(express)
  let genuine: string
  beforeAll(async () => {
    genuine = await env.lr.sign()
  })

  /** The token must not log anyone in, by cookie or by bearer, and a cookie carrying it is cleared. */
  async function expectRefused(token: string) {
    const byCookie = await get(`${env.app.url}/`, { cookie: `arToken=${token}` })
    expect(byCookie.status).toBe(200)
    expect((await byCookie.json()).user).toBeNull()
    expect(setCookies(byCookie)[0]).toMatchObject({ name: 'arToken', value: '' })
    const byBearer = await get(`${env.app.url}/private`, { authorization: `Bearer ${token}` })
    expect(byBearer.status).toBe(401)
  }

  it('refuses alg: none', async () => {
    const [, payload] = genuine.split('.')
    await expectRefused(`${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`)
    await expectRefused(`${b64({ alg: 'none', typ: 'JWT' })}.${payload}.${genuine.split('.')[2]}`)
  })

  it('refuses HS256 signed with the RSA public key', async () => {
    const pem = await exportSPKI(env.lr.keys[0]!.publicKey)
    const forged = await new SignJWT(part(genuine, 1))
      .setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'JWT' })
      .sign(new TextEncoder().encode(pem))
    await expectRefused(forged)
  })

  it('refuses a tampered payload', async () => {
    const [header, , signature] = genuine.split('.')
    const payload = { ...part(genuine, 1), sub: 'usr_admin', orgs: [{ mid: 'mb_x', oid: 'org_x', name: 'X', perm: ['site:admin'], selected: true }] }
    await expectRefused(`${header}.${b64(payload)}.${signature}`)
  })

  it('refuses a token from another issuer', async () => {
    await expectRefused(await env.lr.sign({ issuer: 'https://evil.example' }))
  })

  it('refuses a token whose nbf is in the future', async () => {
    await expectRefused(await env.lr.sign({ claims: { nbf: Math.floor(Date.now() / 1000) + 120 } }))
  })

  it('refuses a token signed by a foreign key under a known kid', async () => {
    await expectRefused(await env.lr.sign({ key: await rsaKey('k1') }))
  })

  it('refuses tokens without exp, iat or sub', async () => {
    const key = env.lr.keys[0]!
    const base = () => new SignJWT({ sid: 'kss_1' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(env.lr.url)
    await expectRefused(await base().setSubject('usr_1').setIssuedAt().sign(key.privateKey))
    await expectRefused(await base().setSubject('usr_1').setExpirationTime('1h').sign(key.privateKey))
    await expectRefused(await base().setIssuedAt().setExpirationTime('1h').sign(key.privateKey))
  })

  it('leaves garbage and oversized cookies anonymous, clears them, and never answers 500', async () => {
    const garbage = [
      'x',
      '%%%',
      'a.b.c',
      '...',
      `${b64('not json')}.${b64('[]')}.${b64('sig')}`,
      `${b64({ alg: 'RS256', kid: 'k1' })}.${b64([1, 2])}.${genuine.split('.')[2]}`,
      `${b64({ alg: 'RS256', kid: { $gt: '' } })}.${genuine.split('.')[1]}.${genuine.split('.')[2]}`,
      `${genuine}.${genuine}`,
      `${genuine.split('.')[0]}.${'A'.repeat(9000)}.${genuine.split('.')[2]}`,
      '\u00e9\u00e8'.repeat(10),
    ]
    for (const token of garbage) {
      const res = await get(`${env.app.url}/`, { cookie: `arToken=${encodeURIComponent(token)}` })
      expect(res.status).toBe(200)
      expect((await res.json()).user).toBeNull()
      expect(setCookies(res)[0]).toMatchObject({ name: 'arToken', value: '' })
    }
  })

  it('survives malformed Authorization headers, query strings and cookie headers', async () => {
    const attempts: [string, Record<string, string>][] = [
      ['/private', { authorization: 'Bearer' }],
      ['/private', { authorization: 'Bearer   ' }],
      ['/private', { authorization: 'Basic dXNlcjpwYXNz' }],
      ['/private', { authorization: `Bearer ${genuine} extra` }],
      ['/?token=%E0%A4%A', {}],
      ['/?token[a]=1&token=2', {}],
      ['/?token=', {}],
      ['/', { cookie: 'arToken=' }],
      ['/', { cookie: 'arToken="unterminated' }],
      ['/', { cookie: ';;;arToken;=;;' }],
    ]
    for (const [path, headers] of attempts) {
      const res = await get(`${env.app.url}${path}`, headers)
      expect([200, 302, 401]).toContain(res.status)
    }
  })
})
