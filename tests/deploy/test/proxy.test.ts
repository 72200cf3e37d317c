// Issue 13, "Production, tested as it will run": nginx terminating TLS (a certificate from a throwaway CA) in
// front of two Airlock processes on one PostgreSQL database, and the guide's app behind it too, in Chromium.
// The tests run in order and share one browser page: the journey goes on from one to the next.
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { sleep } from '../../../examples/express-guide/test/support/processes.js'
import { DIALECTS } from '../../../packages/server/test/support/dialects.js'
import { chromiumPath, desktop, fillSignupForm, newPerson, type Person } from '../../e2e/support/browser.js'
import { startDeployment, type Deployment } from '../support/deployment.js'
import { ProxyClient, httpsRequest } from '../support/https-client.js'

const WRONG = 'not the password at all 123'

/** Chromium trusting the test's server key only (not every certificate), with localhost on IPv4 like nginx. */
function launch(spkiHash: string): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--ignore-certificate-errors-spki-list=${spkiHash}`,
      '--host-resolver-rules=MAP localhost 127.0.0.1',
    ],
  })
}

/** The claims of a JWT (not verified: the test only reads when it was issued and expires). */
function claims(token: string): { iat: number; exp: number; sid: string } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number; sid: string }
}

describe.runIf(DIALECTS.includes('postgres'))('behind nginx with TLS: two Airlock processes on one PostgreSQL database, the app on https', () => {
  let deployment: Deployment
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let person: Person
  /**
   * Every answer of the login server the browser got, and which process answered it (nginx's X-Upstream). Only
   * pages (`no-store`) are surely fresh: a stylesheet may come from the browser's cache, with an earlier answer's headers.
   */
  const answers: { url: string; page: boolean; status: number; upstream: string; hsts: string | undefined }[] = []
  const pages = () => answers.filter((answer) => answer.page)

  beforeAll(async () => {
    deployment = await startDeployment()
    browser = await launch(deployment.certs.spkiHash)
    context = await browser.newContext({ viewport: desktop })
    page = await context.newPage()
    page.on('response', (response: Response) => {
      if (!response.url().startsWith(deployment.loginUrl)) return
      const headers = response.headers()
      answers.push({
        url: response.url(),
        page: response.request().resourceType() === 'document',
        status: response.status(),
        upstream: headers['x-upstream'] ?? '',
        hsts: headers['strict-transport-security'],
      })
    })
  })

  afterAll(async () => {
    const outcomes = await Promise.allSettled([browser?.close(), deployment?.close()])
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason
  })

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail' && deployment) console.error(deployment.output())
  })

  const app = (path = '/') => `${deployment.appUrl}${path}`
  const inApp = (path: string) => (url: URL) => url.origin === deployment.appUrl && url.pathname === path && !url.search.includes('token=')
  const onLogin = (path: string) => (url: URL) => url.origin === deployment.loginUrl && url.pathname === path
  const greeting = async () => ((await page.getByRole('navigation', { name: 'Account' }).locator('.hi').textContent()) ?? '').trim()
  /** The port of the process that answered last (nginx lists every one it tried, the one that answered last). */
  const answeredBy = (upstream: string) => Number(upstream.split(',').at(-1)!.trim().split(':').at(-1))
  const appToken = async () => (await context.cookies(deployment.appUrl)).find((cookie) => cookie.name === 'arToken')?.value

  it('signup through the proxy: back in the app on https, logged in; __Host- Secure cookies and HSTS; requests on both processes', async () => {
    person = newPerson('Nina', 'Proxy')
    await page.goto(app('/'))
    await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Signup', exact: true }).click()
    await page.waitForURL(onLogin('/signup'))
    await fillSignupForm(page, person)
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.waitForURL(inApp('/'))
    expect(page.url()).toBe(app('/'))
    expect(await greeting()).toBe(`Hi, ${person.first}!`)

    // The login server's cookies are pinned to its origin and never sent over http.
    const loginCookies = await context.cookies(deployment.loginUrl)
    expect(loginCookies.map((cookie) => cookie.name).sort()).toEqual(['__Host-lr_csrf', '__Host-lr_session'])
    for (const cookie of loginCookies) expect(cookie).toMatchObject({ secure: true, httpOnly: true, path: '/', domain: 'localhost' })
    // The app, trusting its proxy, knows it is on https: its cookie is Secure too.
    const appCookie = (await context.cookies(deployment.appUrl)).find((cookie) => cookie.name === 'arToken')
    expect(appCookie).toMatchObject({ secure: true, httpOnly: true })

    // A few more pages, so that the round robin shows itself.
    for (let i = 0; i < 3; i++) await page.goto(`${deployment.loginUrl}/login?redirect_uri=${encodeURIComponent(app('/'))}`)
    await page.waitForURL(inApp('/'))
    expect(pages().length).toBeGreaterThanOrEqual(4)
    for (const answer of pages()) expect(answer.hsts, answer.url).toBe('max-age=31536000')
    const ports = new Set(answers.map((answer) => answeredBy(answer.upstream)))
    expect([...ports].sort()).toEqual(deployment.airlock.map(({ port }) => port).sort())
  })

  it('failed logins are refused (429) once the limit is reached, counted across both processes, per client address nginx saw; no client can pick its address', async () => {
    const { loginUrl, certs } = deployment
    const login = (client: ProxyClient) => client.post('/login', { email: person.email, password: WRONG })

    // 127.0.0.2: ten failures (this account, this address), spread over both processes, then refused.
    const first = new ProxyClient(loginUrl, certs.caPem, '127.0.0.2')
    expect((await first.get('/login')).status).toBe(200)
    const upstreams = new Set<number>()
    for (let i = 0; i < 10; i++) {
      const answer = await login(first)
      expect(answer.status).toBe(401)
      upstreams.add(answeredBy(String(answer.headers['x-upstream'])))
    }
    expect(upstreams.size).toBe(2)
    const refused = await login(first)
    expect(refused.status).toBe(429)
    expect(refused.headers['retry-after']).toMatch(/^\d+$/)

    // Another address (nginx's $remote_addr) has a count of its own.
    const second = new ProxyClient(loginUrl, certs.caPem, '127.0.0.3')
    await second.get('/login')
    expect((await login(second)).status).toBe(401)

    // A client naming another address each time: nginx appends the one it saw, and Airlock counts that one.
    let n = 0
    const spoofer = new ProxyClient(loginUrl, certs.caPem, '127.0.0.4', () => ({ 'x-forwarded-for': `203.0.113.${++n}`, 'x-forwarded-proto': 'http' }))
    await spoofer.get('/login')
    for (let i = 0; i < 10; i++) expect((await login(spoofer)).status).toBe(401)
    expect((await login(spoofer)).status).toBe(429)

    // nginx replaced the client's X-Forwarded-Proto: neither process saw a proxy disagreeing with its public URL.
    for (const { port } of deployment.airlock) {
      const health = await fetch(`http://127.0.0.1:${port}/healthz`)
      expect(await health.json()).toEqual({ status: 'ok' })
    }
    // And the person themselves, from the browser's address, still logs in (below).
  })

  it('one Airlock process killed mid-journey: the app, a token renewal, logout and login carry on through the other', async () => {
    const [killed, survivor] = deployment.airlock
    killed!.process.child.kill('SIGKILL')
    await killed!.process.exited
    answers.length = 0

    // The app's pages (it verifies the token with the keys it fetched through nginx).
    await page.goto(app('/me'))
    expect(page.url()).toBe(app('/me'))
    expect(await page.locator('body').innerText()).toContain(person.email)

    // The renewal: the app asks the login server, through nginx, for a fresh token in the last tenth of its minute.
    const before = await appToken()
    expect(before).toBeDefined()
    const renewAt = claims(before!).exp * 1000 - 5_000
    await sleep(Math.max(0, renewAt - Date.now()))
    await page.goto(app('/me'))
    expect(page.url()).toBe(app('/me'))
    const after = await appToken()
    expect(after).not.toBe(before)
    expect(claims(after!).iat).toBeGreaterThan(claims(before!).iat)
    expect(claims(after!).sid).toBe(claims(before!).sid)
    expect(await greeting()).toBe(`Hi, ${person.first}!`)

    // Logout, then login again, on the login server's pages.
    await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Logout' }).click()
    await page.waitForURL(inApp('/'))
    expect(await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Login' }).isVisible()).toBe(true)
    await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Login' }).click()
    await page.waitForURL(onLogin('/login'))
    await page.getByLabel('Email').fill(person.email)
    await page.getByLabel('Password').fill(person.password)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.waitForURL(inApp('/'))
    expect(await greeting()).toBe(`Hi, ${person.first}!`)

    // The browser's requests all answered, by the survivor.
    expect(pages().length).toBeGreaterThanOrEqual(3)
    for (const answer of pages()) {
      expect(answer.status, answer.url).toBeLessThan(500)
      expect(answeredBy(answer.upstream), answer.url).toBe(survivor!.port)
    }
    // And through nginx, the health check says the service is up.
    expect((await httpsRequest(`${deployment.loginUrl}/healthz`, { ca: deployment.certs.caPem, localAddress: '127.0.0.1' })).status).toBe(200)
  })
})
