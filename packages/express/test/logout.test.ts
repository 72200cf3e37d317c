import { describe, expect, it } from 'vitest'
import { EXPRESS_VERSIONS, useGuideApp } from './support/guide-app.js'
import { get, setCookies } from './support/http.js'

describe.each(EXPRESS_VERSIONS)('logouts with %s', (_name, express) => {
  const env = useGuideApp(express)

  it("fullLogout clears the cookie and sends the browser to LoginRocket's logout for this session, back to the app", async () => {
    const res = await get(`${env.app.url}/logout`, { cookie: `arToken=${await env.lr.sign({ sid: 'kss_42' })}` })
    expect(res.status).toBe(302)
    const location = new URL(res.headers.get('location')!)
    expect(location.origin + location.pathname).toBe(`${env.lr.url}/logout`)
    expect(location.searchParams.get('session')).toBe('kss_42')
    expect(location.searchParams.get('redirect_uri')).toBe(`${env.app.url}/`)
    expect(setCookies(res)[0]).toMatchObject({ name: 'arToken', value: '' })
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('fullLogout names the session of an expired token too, and works with no login at all', async () => {
    const expired = await get(`${env.app.url}/logout`, { cookie: `arToken=${await env.lr.sign({ sid: 'kss_old', expiresIn: -30 })}` })
    expect(new URL(expired.headers.get('location')!).searchParams.get('session')).toBe('kss_old')
    const anonymous = await get(`${env.app.url}/logout`)
    expect(anonymous.status).toBe(302)
    expect(new URL(anonymous.headers.get('location')!).searchParams.has('session')).toBe(false)
  })

  it('localLogout clears the cookie and goes to the app root, leaving LoginRocket alone', async () => {
    const res = await get(`${env.app.url}/local-logout`, { cookie: `arToken=${await env.lr.sign()}` })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(`${env.app.url}/`)
    expect(setCookies(res)[0]).toMatchObject({ name: 'arToken', value: '' })
  })
})
