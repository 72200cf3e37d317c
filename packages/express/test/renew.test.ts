import express from 'express'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { FakeLoginRocket } from './support/fake-loginrocket.js'
import { guideApp } from './support/guide-app.js'
import { get, serve, setCookies, type Running } from './support/http.js'

describe('renewal of the login cookie', () => {
  let lr: FakeLoginRocket
  let app: Running
  let warnings: string[]

  beforeAll(async () => {
    lr = await FakeLoginRocket.start()
  })
  beforeEach(async () => {
    warnings = []
    lr.renewHits = 0
    lr.renewClaims = {}
    lr.renewDelayMs = 0
    lr.renewStatus = null
    app = await serve(guideApp(express, { authrocket: { loginrocketUrl: lr.url }, logger: { warn: (m) => warnings.push(m) } }))
  })
  afterEach(() => app.close())
  afterAll(() => lr.close())

  const visit = async (token: string, path = '/') => {
    const res = await get(`${app.url}${path}`, { cookie: `arToken=${token}` })
    return { res, body: await res.json(), cookies: setCookies(res) }
  }

  it('leaves a token with more than a tenth of its life left alone', async () => {
    const { body, cookies } = await visit(await lr.sign({ expiresIn: 300, lifetime: 600 }))
    expect(body.user).toBe('usr_1')
    expect(cookies).toEqual([])
    expect(lr.renewHits).toBe(0)
  })

  it('renews a token with less than a tenth of its life left; fresh claims replace the cookie', async () => {
    lr.renewClaims = { name: 'David Smith', orgs: [{ mid: 'mb_1', oid: 'org_1', name: 'Widgets', perm: ['site:admin'], selected: true }] }
    const { body, cookies } = await visit(await lr.sign({ expiresIn: 30, lifetime: 600, sid: 'kss_soon' }))
    expect(lr.renewHits).toBe(1)
    expect(body).toMatchObject({ user: 'usr_1', name: 'David Smith', permissions: ['site:admin'], session: 'kss_soon' })
    expect(cookies).toHaveLength(1)
    const renewed = JSON.parse(Buffer.from(cookies[0]!.value.split('.')[1]!, 'base64url').toString())
    expect(renewed.exp - Date.now() / 1000).toBeGreaterThan(3000)
    expect(cookies[0]!.attributes).toContain(`Expires=${new Date(renewed.exp * 1000).toUTCString()}`)
  })

  it('renews an expired token while its LoginRocket session is alive', async () => {
    const { body, cookies } = await visit(await lr.sign({ expiresIn: -600, lifetime: 3600, sid: 'kss_idle' }))
    expect(body.user).toBe('usr_1')
    expect(cookies[0]!.name).toBe('arToken')
    expect(cookies[0]!.value).not.toBe('')
  })

  it('asks LoginRocket once for concurrent requests of one session, and all of them get the new token', async () => {
    lr.renewDelayMs = 150
    const token = await lr.sign({ expiresIn: 20, lifetime: 600, sid: 'kss_busy' })
    const visits = await Promise.all(Array.from({ length: 12 }, () => visit(token)))
    expect(lr.renewHits).toBe(1)
    const fresh = new Set(visits.map((v) => v.cookies[0]?.value))
    expect(fresh.size).toBe(1)
    expect([...fresh][0]).not.toBe(token)
    expect(visits.every((v) => v.body.user === 'usr_1')).toBe(true)
    // A request that still carries the old cookie moments later reuses the answer.
    await visit(token)
    expect(lr.renewHits).toBe(1)
  })

  it('logs the user out once the session has ended (LoginRocket answers 401)', async () => {
    lr.ended.add('kss_ended')
    for (const expiresIn of [20, -20]) {
      const { body, cookies } = await visit(await lr.sign({ expiresIn, lifetime: 600, sid: 'kss_ended' }), '/')
      expect(body.user).toBeNull()
      expect(cookies[0]).toMatchObject({ name: 'arToken', value: '' })
    }
    const protectedPage = await get(`${app.url}/private`, { cookie: `arToken=${await lr.sign({ expiresIn: 20, lifetime: 600, sid: 'kss_ended' })}` })
    expect(protectedPage.status).toBe(302)
  })

  it('never renews bearer tokens', async () => {
    const res = await get(`${app.url}/`, { authorization: `Bearer ${await lr.sign({ expiresIn: 20, lifetime: 600 })}` })
    expect((await res.json()).user).toBe('usr_1')
    expect(lr.renewHits).toBe(0)
  })

  it('keeps a still-valid token working while LoginRocket is down, drops an expired one, and logs once', async () => {
    lr.renewStatus = 503
    const soon = await lr.sign({ expiresIn: 20, lifetime: 600, sid: 'kss_down1' })
    const expired = await lr.sign({ expiresIn: -20, lifetime: 600, sid: 'kss_down2' })
    for (let i = 0; i < 3; i++) {
      const valid = await visit(soon)
      expect(valid.body.user).toBe('usr_1')
      expect(valid.cookies).toEqual([])
      const old = await visit(expired)
      expect(old.body.user).toBeNull()
      expect(old.cookies).toEqual([])
    }
    expect(lr.renewHits).toBe(1)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/cannot renew login tokens .* \(HTTP 503\)/)
    expect(warnings[0]).not.toContain(soon)
  })

  // Issue 12, item 1: only a 401 means "logged out"; a LoginRocket failing on its side (500, 502, 503) must not
  // end a live login, and the cookie stays so that a later renewal can succeed.
  for (const status of [500, 502, 503]) {
    it(`keeps the login and the cookie when LoginRocket answers ${status} (a failure on its side, not an ended session)`, async () => {
      lr.renewStatus = status
      const soon = await lr.sign({ expiresIn: 20, lifetime: 600, sid: `kss_fail${status}` })
      const valid = await visit(soon)
      expect(valid.body.user).toBe('usr_1')
      expect(valid.cookies).toEqual([])
      const protectedPage = await get(`${app.url}/private`, { cookie: `arToken=${soon}` })
      expect(protectedPage.status).toBe(200)
      expect(setCookies(protectedPage)).toEqual([])
      expect(warnings[0]).toContain(`(HTTP ${status})`)
    })
  }

  it('treats a server that cannot be reached at all the same way', async () => {
    const soon = await lr.sign({ expiresIn: 20, lifetime: 600, sid: 'kss_gone' })
    await visit(await lr.sign()) // the app has the realm's keys before LoginRocket goes away
    await lr.close()
    try {
      const first = await visit(soon)
      const second = await visit(soon)
      expect([first.body.user, second.body.user]).toEqual(['usr_1', 'usr_1'])
      expect(warnings).toHaveLength(1)
    } finally {
      await lr.listen(lr.port)
    }
  })

  it('refuses a renewed token that does not verify', async () => {
    lr.renewClaims = {}
    const original = lr.sign.bind(lr)
    lr.sign = (options) => original({ ...options, issuer: 'https://evil.example' })
    try {
      const token = await original({ expiresIn: 20, lifetime: 600, sid: 'kss_bad' })
      const { body, cookies } = await visit(token)
      expect(body.user).toBe('usr_1')
      expect(cookies).toEqual([])
      expect(warnings[0]).toMatch(/renewed token does not verify/)
    } finally {
      lr.sign = original
    }
  })
})
