// The example app (`node app.js`) against a real Airlock server (the built CLI's `airlock start`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAirlock, startExample, type Airlock, type ExampleApp } from './support/airlock.js'
import { Browser, hasLink, linkHref, location, postForm, textOf } from './support/browser.js'
import { freePort } from './support/processes.js'

let lr: Airlock
let app: ExampleApp

beforeAll(async () => {
  // The realm must know the app's URL (its Login URL) before the app asks it to send users back.
  const appPort = await freePort()
  lr = await startAirlock({ loginUrls: [`http://127.0.0.1:${appPort}`] })
  app = await startExample({ loginrocketUrl: lr.url, port: appPort })
})

afterAll(async () => {
  await app?.close()
  await lr?.close()
})

const PASSWORD = 'correct horse battery staple'
let emails = 0
const newEmail = () => `person${++emails}@example.com`

/** Opens the signup form at `signupUrl`, fills it in as a person would, and returns the answer to the POST. */
async function submitSignup(browser: Browser, signupUrl: string, email: string): Promise<Response> {
  const page = await browser.get(signupUrl)
  expect(page.status).toBe(200)
  const form = postForm(browser.html)
  expect(form.fields.csrf).toBeTruthy()
  return browser.post(new URL(form.action || signupUrl, signupUrl).href, {
    ...form.fields,
    first_name: 'Dave',
    last_name: 'Smith',
    email,
    password: PASSWORD,
  })
}

/** Signs up from the home page's Signup link and lands back in the app, logged in. */
async function signUpFromHome(email = newEmail()): Promise<Browser> {
  const browser = new Browser()
  await browser.get(`${app.url}/`)
  const back = await submitSignup(browser, linkHref(browser.html, 'Signup'), email)
  // No redirect_uri on the nav's link: LoginRocket uses the realm's first Login URL, the app's root.
  expect(location(back)).toMatch(new RegExp(`^${app.url}/\\?token=`))
  const stored = await browser.get(location(back))
  expect(stored.status).toBe(302)
  expect(location(stored)).toBe('/')
  expect(browser.cookies.get('arToken')).toBeTruthy()
  return browser
}

describe('anonymous visitors', () => {
  it('see the public home page with Signup and Login links to LoginRocket', async () => {
    const browser = new Browser()
    const home = await browser.get(`${app.url}/`)
    expect(home.status).toBe(200)
    // Each link carries the browser's nonce, which LoginRocket signs into the token it hands back.
    const nonce = browser.cookies.get('arNonce')
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(linkHref(browser.html, 'Signup')).toBe(`${lr.url}/signup?nonce=${nonce}`)
    expect(linkHref(browser.html, 'Login')).toBe(`${lr.url}/login?nonce=${nonce}`)
    expect(textOf(browser.html)).not.toContain('Hi,')
    expect(hasLink(browser.html, 'Logout')).toBe(false)
  })

  it.each(['/me', '/admin', '/projects', '/projects?sort=name', '/no-such-page'])(
    'are sent from %s to LoginRocket with the page as redirect_uri',
    async (path) => {
      const browser = new Browser()
      const response = await browser.get(`${app.url}${path}`)
      expect(response.status).toBe(302)
      const nonce = browser.cookies.get('arNonce')
      expect(location(response)).toBe(`${lr.url}/login?redirect_uri=${encodeURIComponent(`${app.url}${path}`)}&nonce=${nonce}`)
    },
  )

  it('get 401 from protected pages when they ask for JSON', async () => {
    const response = await new Browser().get(`${app.url}/me`, { accept: 'application/json' })
    expect(response.status).toBe(401)
  })

  it('cannot be shown in a frame of another site: pages send X-Frame-Options and frame-ancestors, as LoginRocket does', async () => {
    for (const path of ['/', '/me', '/no-such-page']) {
      const response = await new Browser().get(`${app.url}${path}`)
      expect(response.headers.get('x-frame-options'), path).toBe('DENY')
      expect(response.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'")
    }
    // The page's own stylesheet is still allowed by its policy, and nothing upgrades plain http on localhost.
    const home = await new Browser().get(`${app.url}/`)
    expect(home.headers.get('content-security-policy')).toContain("style-src 'self'")
    expect(home.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests')
  })

  it('reach the stylesheet without a login', async () => {
    const response = await new Browser().get(`${app.url}/style.css`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/css')
  })
})

describe('signing up', () => {
  it("from the home page's Signup link lands back in the app, logged in: Hi, Dave! Welcome, Dave.", async () => {
    const browser = await signUpFromHome()
    await browser.get(`${app.url}/`)
    const text = textOf(browser.html)
    expect(text).toContain('Hi, Dave!')
    // A brand-new user is welcomed, not welcomed back.
    expect(text).toContain('Welcome, Dave.')
    expect(text).not.toContain('Welcome back')
    const nonce = browser.cookies.get('arNonce')
    expect(linkHref(browser.html, 'Manage Profile')).toBe(`${lr.url}/profile?redirect_uri=${encodeURIComponent(`${app.url}/`)}&nonce=${nonce}`)
    expect(linkHref(browser.html, 'Logout')).toBe('/logout')
    expect(hasLink(browser.html, 'Signup')).toBe(false)
    expect(hasLink(browser.html, 'Login')).toBe(false)
    // Single-user mode: signup made the user's personal account, and the account links show.
    expect(linkHref(browser.html, 'Manage current account')).toMatch(new RegExp(`^${lr.url}/accounts/org_`))
    expect(linkHref(browser.html, 'Switch accounts')).toMatch(new RegExp(`^${lr.url}/accounts`))
  })

  it('from a protected page goes through login, signup, and back to that page', async () => {
    const browser = new Browser()
    const toLogin = await browser.get(`${app.url}/me`)
    const loginPage = await browser.get(location(toLogin))
    expect(loginPage.status).toBe(200)
    const signupUrl = new URL(linkHref(browser.html, 'Create an account'), location(toLogin)).href
    const email = newEmail()
    const back = await submitSignup(browser, signupUrl, email)
    expect(location(back)).toMatch(new RegExp(`^${app.url}/me\\?token=`))
    const stored = await browser.get(location(back))
    expect(location(stored)).toBe('/me')

    const me = await browser.get(`${app.url}/me`)
    expect(me.status).toBe(200)
    const text = textOf(browser.html)
    expect(text).toContain('Dave Smith')
    expect(text).toContain(email)
    expect(text).toContain('ar:owner')
    expect(text).toMatch(/Id usr_/)
    expect(text).toMatch(/org_/)
  })

  it('is welcomed back on every later visit: a reload, and a login in another browser', async () => {
    const email = newEmail()
    const browser = await signUpFromHome(email)
    await browser.get(`${app.url}/`)
    expect(textOf(browser.html)).toContain('Welcome, Dave.')
    await browser.get(`${app.url}/`)
    expect(textOf(browser.html)).toContain('Welcome back, Dave.')

    const elsewhere = new Browser()
    await elsewhere.get(`${app.url}/`)
    const loginUrl = linkHref(elsewhere.html, 'Login')
    await elsewhere.get(loginUrl)
    const form = postForm(elsewhere.html)
    const back = await elsewhere.post(new URL(form.action || loginUrl, loginUrl).href, { ...form.fields, email, password: PASSWORD })
    expect(location(back)).toMatch(new RegExp(`^${app.url}/\\?token=`))
    expect(location(await elsewhere.get(location(back)))).toBe('/')
    await elsewhere.get(`${app.url}/`)
    expect(textOf(elsewhere.html)).toContain('Welcome back, Dave.')
  })

  it("Manage Profile opens the server's profile page for this user", async () => {
    const email = newEmail()
    const browser = await signUpFromHome(email)
    await browser.get(`${app.url}/me`)
    const profile = await browser.get(linkHref(browser.html, 'Manage Profile'))
    expect(profile.status).toBe(200)
    expect(browser.html).toContain(email)
  })
})

describe('a new user, with the personal account signup made (single-user mode)', () => {
  it("keeps projects in that account, and another user's account doesn't see them", async () => {
    const browser = await signUpFromHome()
    const page = await browser.get(`${app.url}/projects`)
    expect(page.status).toBe(200)
    expect(browser.html).toContain('<form')
    const post = await browser.post(`${app.url}/projects`, { name: 'Moon base' })
    expect(post.status).toBeLessThan(400)
    await browser.get(`${app.url}/projects`)
    expect(textOf(browser.html)).toContain('Moon base')

    const other = await signUpFromHome()
    await other.get(`${app.url}/projects`)
    expect(textOf(other.html)).not.toContain('Moon base')
  })

  it('gets the friendly 403 page at /admin (no site:admin permission)', async () => {
    const browser = await signUpFromHome()
    const admin = await browser.get(`${app.url}/admin`)
    expect(admin.status).toBe(403)
    const text = textOf(browser.html)
    expect(text).toContain('Admins only')
    expect(text).toContain('site:admin')
    expect(text).toContain('Hi, Dave!')
  })

  it('gets a 404 page for unknown addresses', async () => {
    const browser = await signUpFromHome()
    const missing = await browser.get(`${app.url}/no-such-page`)
    expect(missing.status).toBe(404)
    expect(textOf(browser.html)).toContain('Page not found')
  })
})

describe('logging out', () => {
  it("goes through the server's logout and back to the app, logged out of both", async () => {
    const browser = await signUpFromHome()
    const toLr = await browser.get(`${app.url}/logout`)
    expect(toLr.status).toBe(302)
    const logoutUrl = new URL(location(toLr))
    expect(`${logoutUrl.origin}${logoutUrl.pathname}`).toBe(`${lr.url}/logout`)
    expect(logoutUrl.searchParams.get('redirect_uri')).toBe(`${app.url}/`)
    expect(logoutUrl.searchParams.get('session')).toMatch(/^kss_/)
    expect(browser.cookies.has('arToken')).toBe(false)

    const backToApp = await browser.get(logoutUrl.href)
    expect(location(backToApp)).toBe(`${app.url}/`)
    await browser.get(`${app.url}/`)
    expect(linkHref(browser.html, 'Login')).toBe(`${lr.url}/login?nonce=${browser.cookies.get('arNonce')}`)
    expect((await browser.get(`${app.url}/me`)).status).toBe(302)
    // LoginRocket's own session is over too: its login page asks again instead of sending the browser back.
    const login = await browser.get(`${lr.url}/login?redirect_uri=${encodeURIComponent(`${app.url}/`)}`)
    expect(login.status).toBe(200)
  })
})
