// Accounts (orgs), permissions and the app's own data, with login tokens that carry an account. The server
// doesn't create accounts yet, so these tokens are signed here with an HS256 realm secret
// (AUTHROCKET_JWT_KEY), exactly as the middleware would verify a LoginRocket token of an HS256 realm.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser, hasLink, linkHref, location, textOf } from './support/browser.js'
import { loadApp, serve, tokenFor, type Person, type Served } from './support/in-process.js'
import { removeDir, tempDir } from './support/processes.js'

const LR = 'http://127.0.0.1:9' // never contacted: the key is static and the tokens are fresh
const SECRET = 'an hs256 secret for the example tests, 32+ chars'

const widgets = { id: 'org_widgets', name: 'Widgets, Inc.' }
const gadgets = { id: 'org_gadgets', name: 'Gadgets Ltd' }
const dave: Person = { id: 'dave', first: 'Dave', last: 'Smith', email: 'dave@widgets.example', org: widgets }
const wendy: Person = { id: 'wendy', first: 'Wendy', last: 'Jones', email: 'wendy@widgets.example', org: widgets }
const gina: Person = { id: 'gina', first: 'Gina', last: 'Ray', email: 'gina@gadgets.example', org: gadgets }
const admin: Person = {
  id: 'ada',
  first: 'Ada',
  last: 'Admin',
  email: 'ada@widgets.example',
  org: { ...widgets, permissions: ['site:admin', 'forum:moderator'] },
}

let dataDir: string
let app: Served

beforeAll(async () => {
  dataDir = tempDir('airlock-example-accounts-')
  app = await serve(loadApp('app.js', { LOGINROCKET_URL: LR, AUTHROCKET_JWT_KEY: SECRET, EXAMPLE_DATA: dataDir }))
})

afterAll(async () => {
  await app?.close()
  removeDir(dataDir)
})

/**
 * A browser logged in as `person`: sent from a protected page to LoginRocket with its nonce, it arrives
 * with ?token= carrying that nonce, as after a login at LoginRocket.
 */
async function loggedIn(person: Person): Promise<Browser> {
  const browser = new Browser()
  const toLogin = await browser.get(`${app.url}/me`)
  const nonce = new URL(location(toLogin)).searchParams.get('nonce')!
  const token = await tokenFor(person, { issuer: LR, secret: SECRET, nonce })
  const arrival = await browser.get(`${app.url}/?token=${token}`)
  expect(arrival.status).toBe(302)
  expect(location(arrival)).toBe('/')
  expect(browser.cookies.get('arToken')).toBe(token)
  return browser
}

async function addProject(browser: Browser, name: string, headers: Record<string, string> = {}): Promise<Response> {
  return browser.post(`${app.url}/projects`, { name }, headers)
}

/** The project names in the last page's list. */
function projectNames(html: string): string[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? ''
  return [...body.matchAll(/<tr><td>([\s\S]*?)<\/td>/g)].map((m) => textOf(m[1]!))
}

describe('projects: each account sees and adds only its own', () => {
  it('keeps the projects of Widgets and Gadgets apart, and shares them among one account', async () => {
    const asDave = await loggedIn(dave)
    const asGina = await loggedIn(gina)
    const asWendy = await loggedIn(wendy)

    expect((await addProject(asDave, 'Website relaunch')).status).toBe(303)
    expect((await addProject(asGina, 'Gadget catalogue')).status).toBe(303)
    const added = await addProject(asDave, 'Q3 roadmap')
    expect(location(added)).toBe('/projects')

    await asDave.get(`${app.url}/projects`)
    expect(textOf(asDave.html)).toContain('Everyone in Widgets, Inc. sees this list.')
    expect(projectNames(asDave.html)).toEqual(['Q3 roadmap', 'Website relaunch'])
    expect(textOf(asDave.html)).toContain('Dave Smith')

    await asWendy.get(`${app.url}/projects`)
    expect(projectNames(asWendy.html)).toEqual(['Q3 roadmap', 'Website relaunch'])

    await asGina.get(`${app.url}/projects`)
    expect(textOf(asGina.html)).toContain('Everyone in Gadgets Ltd sees this list.')
    expect(projectNames(asGina.html)).toEqual(['Gadget catalogue'])
  })

  it('refuses an empty or too long name with a message, keeping what was typed', async () => {
    const browser = await loggedIn(dave)
    const empty = await addProject(browser, '   ')
    expect(empty.status).toBe(422)
    expect(textOf(browser.html)).toContain('Give the project a name.')

    const long = 'x'.repeat(101)
    const tooLong = await addProject(browser, long)
    expect(tooLong.status).toBe(422)
    expect(textOf(browser.html)).toContain('at most 100 characters')
    expect(browser.html).toContain(`value="${long}"`)
  })

  it('shows names as text, never as HTML', async () => {
    const browser = await loggedIn(gina)
    await addProject(browser, '<img src=x onerror=alert(1)>')
    await browser.get(`${app.url}/projects`)
    expect(browser.html).not.toContain('<img src=x')
    expect(browser.html).toContain('&lt;img src=x onerror=alert(1)&gt;')
  })
})

describe('forms are refused when sent from another origin', () => {
  it.each([
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site (another port of localhost)', { 'sec-fetch-site': 'same-site' }],
    ['an Origin of another site', { origin: 'https://evil.example' }],
    ['an Origin of another port', { origin: 'http://127.0.0.1:9' }],
  ])('%s → 403', async (_name, headers) => {
    const browser = await loggedIn(dave)
    const response = await addProject(browser, 'Sneaky', headers)
    expect(response.status).toBe(403)
    expect(textOf(browser.html)).toContain('This form was sent from another website')
    await browser.get(`${app.url}/projects`)
    expect(projectNames(browser.html)).not.toContain('Sneaky')
  })

  it('while the same origin passes (Sec-Fetch-Site: same-origin, or a matching Origin)', async () => {
    const browser = await loggedIn(dave)
    expect((await addProject(browser, 'From the form', { 'sec-fetch-site': 'same-origin', origin: app.url })).status).toBe(303)
    expect((await addProject(browser, 'From an older browser', { origin: app.url })).status).toBe(303)
  })

  it('and an anonymous post is sent to log in, adding nothing', async () => {
    const response = await new Browser().post(`${app.url}/projects`, { name: 'Anonymous' })
    expect(response.status).toBe(302)
    expect(location(response)).toMatch(new RegExp(`^${LR}/login\\?redirect_uri=`))
  })
})

describe('the nav and the login page with an account', () => {
  it('shows "Manage current account" and "Switch accounts", coming back to this page', async () => {
    const browser = await loggedIn(dave)
    await browser.get(`${app.url}/projects`)
    const back = encodeURIComponent(`${app.url}/projects`)
    expect(textOf(browser.html)).toContain('Hi, Dave!')
    const nonce = browser.cookies.get('arNonce')
    expect(linkHref(browser.html, 'Manage current account')).toBe(`${LR}/accounts/org_widgets?redirect_uri=${back}&nonce=${nonce}`)
    expect(linkHref(browser.html, 'Switch accounts')).toBe(`${LR}/accounts?redirect_uri=${back}&force=1&nonce=${nonce}`)
    expect(linkHref(browser.html, 'Manage Profile')).toBe(`${LR}/profile?redirect_uri=${back}&nonce=${nonce}`)
    expect(hasLink(browser.html, 'Logout')).toBe(true)
  })

  it('/me shows the user, the account and the permissions', async () => {
    const browser = await loggedIn(admin)
    const me = await browser.get(`${app.url}/me`)
    expect(me.status).toBe(200)
    const text = textOf(browser.html)
    expect(text).toContain('Ada Admin')
    expect(text).toContain('ada@widgets.example verified')
    expect(text).toContain('Widgets, Inc.')
    expect(text).toContain('org_widgets')
    expect(text).toContain('site:admin')
    expect(text).toContain('forum:moderator')
    expect(text).toContain('kss_ada')
  })
})

describe('/admin: the guide\'s site:admin check', () => {
  it('lets a site:admin in, with every account and its project count', async () => {
    const asGina = await loggedIn(gina)
    await addProject(asGina, 'Counted')
    const browser = await loggedIn(admin)
    const page = await browser.get(`${app.url}/admin`)
    expect(page.status).toBe(200)
    const text = textOf(browser.html)
    expect(text).toContain('Site admin')
    expect(text).toContain('org_widgets')
    expect(text).toContain('org_gadgets')
  })

  it('shows the friendly 403 page, naming the account, to a member without it', async () => {
    const browser = await loggedIn(dave)
    const page = await browser.get(`${app.url}/admin`)
    expect(page.status).toBe(403)
    const text = textOf(browser.html)
    expect(text).toContain('Admins only')
    expect(text).toContain("This area needs the site:admin permission, and your login doesn't have it in Widgets, Inc.")
  })
})
