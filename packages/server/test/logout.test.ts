import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP, back, signUp, type Person } from './support/accounts.js'
import { claimsOf, tokenFrom } from './support/browser.js'
import { DIALECTS } from './support/dialects.js'
import { startServer, type TestServer } from './support/server.js'

/** What a page of another site can make a browser send: a plain GET, as for an <img> or a frame. */
const CROSS_SITE = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' }

describe.each(DIALECTS)('logout by any site, on %s', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startServer({ dialect, settings: [`login_urls=${APP}`] })
  })
  afterAll(() => server.close())

  /** True while the person's browser has a live LoginRocket session: /login sends it straight back with a token. */
  async function stillLoggedIn(person: Person): Promise<boolean> {
    const res = await person.client.get(`/login?${back}`)
    return res.status === 303 && new URL(res.headers.get('location')!).searchParams.has('token')
  }

  const sessionOf = (person: Person) => claimsOf(person.token).sid as string

  it('a cross-site GET /logout without session leaves the session alive: the browser is asked first', async () => {
    const victim = await signUp(server, 'img-logout@example.com')
    const res = await victim.client.get(`/logout?${back}`, CROSS_SITE)
    expect(res.status).toBe(200)
    const page = await res.text()
    expect(page).toContain(`Log out of ${server.booted.realm.name}?`)
    expect(page).toContain('img-logout@example.com')
    expect(page).toMatch(/<form method="post" action="\/logout"/)
    expect(await stillLoggedIn(victim)).toBe(true)
  })

  it("a GET /logout naming another session's id leaves this browser's session alive (and the other one too)", async () => {
    const victim = await signUp(server, 'other-sid@example.com')
    const attacker = await signUp(server, 'other-sid-attacker@example.com')
    const res = await victim.client.get(`/logout?session=${sessionOf(attacker)}&${back}`, CROSS_SITE)
    expect(res.status).toBe(200)
    expect(await stillLoggedIn(victim)).toBe(true)
    expect(await stillLoggedIn(attacker)).toBe(true)
  })

  it("a GET /logout naming the browser's own session ends it and goes to redirect_uri (what fullLogout sends)", async () => {
    const person = await signUp(server, 'own-sid@example.com')
    const res = await person.client.get(`/logout?session=${sessionOf(person)}&${back}`)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`${APP}/`)
    expect(await stillLoggedIn(person)).toBe(false)
  })

  it('the confirmation POST without the CSRF token is refused, and the session stays', async () => {
    const victim = await signUp(server, 'post-no-csrf@example.com')
    await victim.client.get(`/logout?${back}`)
    expect((await victim.client.post('/logout', { csrf: '' })).status).toBe(403)
    expect((await victim.client.post('/logout', { csrf: 'forged' })).status).toBe(403)
    // A form on another site can't post it either, whatever it sends.
    const crossOrigin = await victim.client.post('/logout', {}, { origin: 'https://evil.example' })
    expect(crossOrigin.status).toBe(403)
    expect(await stillLoggedIn(victim)).toBe(true)
  })

  it('the confirmation POST with the CSRF token ends the session and goes to the checked redirect_uri', async () => {
    const person = await signUp(server, 'post-csrf@example.com')
    await person.client.get(`/logout?${back}`)
    expect(person.client.browser.lastHtml).toContain(`name="redirect_uri" value="${APP}"`)
    const res = await person.client.post('/logout', { redirect_uri: APP })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`${APP}/`)
    expect(await stillLoggedIn(person)).toBe(false)
    const events = await server.booted.services.events.list({ realmId: server.booted.realm.id, userId: person.userId, type: 'session.deleted', limit: 10 })
    expect(events.map((e) => e.data)).toEqual([{ reason: 'logout' }])
  })

  it('without a redirect_uri the confirmation goes to the login page', async () => {
    const person = await signUp(server, 'post-no-redirect@example.com')
    await person.client.get('/logout')
    const res = await person.client.post('/logout', {})
    expect(res.headers.get('location')).toBe('/login')
    expect(await stillLoggedIn(person)).toBe(false)
  })

  it("the profile's Log out button ends the session in one click: its form posts /logout with the CSRF token", async () => {
    const person = await signUp(server, 'profile-logout@example.com')
    await person.client.get('/profile')
    expect(person.client.browser.lastHtml).toMatch(/<form method="post" action="\/logout" class="inline"><input type="hidden" name="csrf" value="[^"]+"/)
    const res = await person.client.post('/logout', {})
    expect(res.status).toBe(303)
    expect(await stillLoggedIn(person)).toBe(false)
  })

  it('a browser without a session goes straight to the redirect, as before', async () => {
    const person = await signUp(server, 'no-session@example.com')
    await person.client.get(`/logout?session=${sessionOf(person)}`)
    const res = await person.client.get(`/logout?${back}`)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`${APP}/`)
    expect(tokenFrom(await person.client.post(`/login?${back}`, { email: 'no-session@example.com', password: 'correct horse battery' }))).toBeTruthy()
  })
})
