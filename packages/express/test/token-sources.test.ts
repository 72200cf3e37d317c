import { describe, expect, it } from 'vitest'
import { EXPRESS_VERSIONS, guideApp, useGuideApp } from './support/guide-app.js'
import { startLogin } from './support/handoff.js'
import { get, serve, setCookies } from './support/http.js'

describe.each(EXPRESS_VERSIONS)('token sources with %s', (_name, express) => {
  const env = useGuideApp(express)

  it('a GET with ?token= sets the cookie and redirects to the same URL without token, session and account', async () => {
    const trip = await startLogin(`${env.app.url}/private?tab=2&x=y`)
    const token = await env.lr.sign({ claims: { nonce: trip.nonce } })
    const res = await get(`${env.app.url}/private?tab=2&token=${token}&session=kss_1&account=org_1&x=y`, { cookie: trip.cookie })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('/private?tab=2&x=y')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    expect(res.headers.get('cache-control')).toBe('no-store')
    const cookie = setCookies(res).find((c) => c.name === 'arToken')
    expect(cookie!.name).toBe('arToken')
    expect(cookie!.value).toBe(token)
    expect(cookie!.attributes).toMatch(/HttpOnly/)
    expect(cookie!.attributes).toMatch(/SameSite=Lax/)
    expect(cookie!.attributes).not.toMatch(/Secure/)
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp
    expect(cookie!.attributes).toContain(`Expires=${new Date(exp * 1000).toUTCString()}`)
  })

  it('the cookie logs the browser in on the following requests', async () => {
    const token = await env.lr.sign()
    const res = await get(`${env.app.url}/private`, { cookie: `other=1; arToken=${token}` })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      user: 'usr_1',
      name: 'Dave Smith',
      org: 'org_1',
      permissions: ['forum:moderator'],
      session: 'kss_1',
    })
  })

  it('the cookie is Secure when the request came over https through a trusted proxy', async () => {
    const proxied = guideApp(express, { authrocket: { loginrocketUrl: env.lr.url } })
    proxied.set('trust proxy', 'loopback')
    const server = await serve(proxied)
    try {
      const https = { 'x-forwarded-proto': 'https' }
      const trip = await startLogin(`${server.url}/private`, https)
      const token = await env.lr.sign({ claims: { nonce: trip.nonce } })
      const res = await get(`${server.url}/private?token=${token}`, { ...https, cookie: trip.cookie })
      expect(setCookies(res).find((c) => c.name === 'arToken')!.attributes).toMatch(/Secure/)
    } finally {
      await server.close()
    }
  })

  it('a bearer token is accepted without a cookie and sets none', async () => {
    const res = await get(`${env.app.url}/private`, { authorization: `Bearer ${await env.lr.sign({ sub: 'usr_api' })}` })
    expect(res.status).toBe(200)
    expect((await res.json()).user).toBe('usr_api')
    expect(setCookies(res)).toEqual([])
  })

  it('a GET with an invalid ?token= still takes it out of the URL but sets no login cookie, only the refusal marker', async () => {
    const res = await get(`${env.app.url}/private?token=not.a.token`)
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('/private')
    // The marker lets a second refusal in a row stop at an error page instead of looping through /login.
    expect(setCookies(res).map((c) => c.name)).toEqual(['arTokenRefused'])
  })

  it('a ?token= on a POST is ignored: no cookie, no login', async () => {
    const res = await get(`${env.app.url}/?token=${await env.lr.sign()}`, {}, 'POST')
    expect(res.status).toBe(200)
    expect((await res.json()).user).toBeNull()
    expect(setCookies(res)).toEqual([])
  })

  it('a parameter that merely ends in "token=" is left alone', async () => {
    const res = await get(`${env.app.url}/?csrftoken=1&session=2`)
    expect(res.status).toBe(200)
  })

  it('the redirect after ?token= never points to another host', async () => {
    const trip = await startLogin(`${env.app.url}/private`)
    const bound = await env.lr.sign({ claims: { nonce: trip.nonce } })
    for (const path of ['//evil.example/x', '/\\evil.example/x']) {
      const res = await get(`${env.app.url}${path}?token=${bound}`, { cookie: trip.cookie })
      expect(res.status).toBe(302)
      expect(res.headers.get('location')).toBe(`/${path.slice(2)}`)
      // An unbound token goes through /login, to come back to this app, never to another host.
      const bounce = await get(`${env.app.url}${path}?token=${await env.lr.sign()}`)
      expect(new URL(bounce.headers.get('location')!).searchParams.get('redirect_uri')).toBe(`${env.app.url}/${path.slice(2)}`)
    }
  })

  it('an expired cookie that cannot be renewed leaves the request anonymous and is cleared', async () => {
    env.lr.ended.add('kss_gone')
    const token = await env.lr.sign({ sid: 'kss_gone', expiresIn: -60 })
    const res = await get(`${env.app.url}/`, { cookie: `arToken=${token}` })
    expect((await res.json()).user).toBeNull()
    const [cookie] = setCookies(res)
    expect(cookie).toMatchObject({ name: 'arToken', value: '' })
    expect(cookie!.attributes).toMatch(/Expires=Thu, 01 Jan 1970/)
  })
})
