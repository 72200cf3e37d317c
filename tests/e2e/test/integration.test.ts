// The admin portal walked through as the guide's reader would (issue 6): set up the first admin from the link
// `airlock init` prints, create a realm, open its Realm → Integration → Node.js - Express page, start a fresh
// instance of the example app with the LOGINROCKET_URL read from that page, add the app's URL through the page's
// Login URL form, sign up from the app; then find the user in the portal with their user.created and
// user.login.succeeded events, revoke their session, and watch the app log them out at its next token renewal.
// SQLite only. The new realm is served at http://localhost:<port>, the demo server's own address under another
// host name (the default realm has http://127.0.0.1:<port>).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanEnv, cliPath, freePort, removeDir, repoRoot, run, Running, sleep, tempDir } from '../../../examples/express-guide/test/support/processes.js'
import { desktop, fillSignupForm, newPerson, pageText, Shots } from '../support/browser.js'
import { startDemoAndBrowser, type Demo } from '../support/demo.js'

const ADMIN = { email: 'portal.admin@example.com', password: 'portal admin password 1' }

describe('in Chromium: the admin portal walk-through, from the first admin to a revoked session (sqlite)', () => {
  let demo: Demo
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let app: Running | undefined
  let appData: string | undefined

  beforeAll(async () => {
    ;({ demo, browser } = await startDemoAndBrowser('sqlite'))
  })

  afterAll(async () => {
    const stopApp = async () => {
      if (app?.running) {
        app.child.kill('SIGTERM')
        await Promise.race([app.exited, sleep(5000)])
        if (app.running) app.child.kill('SIGKILL')
      }
      if (appData) removeDir(appData)
    }
    // Closing the browser closes its contexts (closing both at once races).
    const outcomes = await Promise.allSettled([browser?.close(), stopApp(), demo?.close()])
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason
  })

  it('first admin, a new realm, its Integration page into a fresh app, a signup, its events, a revoked session', async () => {
    const shots = new Shots('sqlite', 'admin integration page')
    context = await browser.newContext({ viewport: desktop })
    page = await context.newPage()
    try {
      // `airlock init --json` on the demo's data prints the one-time link while the portal has no admin.
      const summary = JSON.parse(
        await run([cliPath, 'init', '--json', '--data', demo.dataDir, '--public-url', demo.airlockUrl], cleanEnv({ LOG_LEVEL: 'silent' })),
      ) as { realm_id: string; loginrocket_url: string; jwt_key: string; admin_setup_url: string }
      expect(summary.admin_setup_url).toMatch(new RegExp(`^${demo.airlockUrl}/admin/setup\\?token=`))

      await page.goto(summary.admin_setup_url)
      await page.getByLabel('Email').fill(ADMIN.email)
      await page.getByLabel('Password', { exact: true }).fill(ADMIN.password)
      await page.getByLabel('Confirm password').fill(ADMIN.password)
      await shots.take(page, 'first admin setup')
      await page.getByRole('button', { name: 'Create admin' }).click()
      await page.waitForURL(`${demo.airlockUrl}/admin`)

      // Log out and in again, as an admin would on a later visit.
      await page.getByRole('button', { name: 'Log out' }).click()
      await page.waitForURL(`${demo.airlockUrl}/admin/login`)
      await page.getByLabel('Email').fill(ADMIN.email)
      await page.getByLabel('Password').fill(ADMIN.password)
      await page.getByRole('button', { name: /log in/i }).click()
      await page.waitForURL(`${demo.airlockUrl}/admin`)
      await shots.take(page, 'admin home')
      // The default realm's Integration page shows what `airlock init` printed.
      await page.getByRole('link', { name: /^Integration for / }).first().click()
      await page.waitForURL(`${demo.airlockUrl}/admin/realms/${summary.realm_id}/integration`)
      expect((await page.locator('#loginrocket-url').innerText()).trim()).toBe(summary.loginrocket_url)
      expect((await page.locator('#jwt-key').innerText()).trim()).toBe(summary.jwt_key)

      // A realm of its own, with 1-minute tokens so that the app renews them (and learns of a revoked session) soon.
      const realmUrl = `http://localhost:${new URL(demo.airlockUrl).port}`
      await page.getByRole('navigation', { name: 'Admin portal' }).getByRole('link', { name: 'Realms' }).click()
      await page.getByLabel('Name').fill('Walkthrough')
      await page.getByLabel('LoginRocket URL').fill(realmUrl)
      await page.getByRole('button', { name: 'Create realm' }).click()
      await page.waitForURL((url) => /^\/admin\/realms\/rl_[a-z2-7]+\/settings$/.test(url.pathname))
      const realmId = new URL(page.url()).pathname.split('/')[3]!
      await page.getByLabel('Token lifetime (minutes)').fill('1')
      await page.getByRole('button', { name: 'Save settings' }).click()
      await page.waitForURL((url) => url.searchParams.get('saved') === '1')
      await shots.take(page, 'realm created and configured')

      // Its Realm → Integration page.
      const realmNav = page.getByRole('navigation', { name: 'This realm' })
      await realmNav.getByRole('link', { name: 'Integration' }).click()
      await page.waitForURL(`${demo.airlockUrl}/admin/realms/${realmId}/integration`)
      await shots.take(page, 'integration page')
      const loginrocketUrl = (await page.locator('#loginrocket-url').innerText()).trim()
      expect(loginrocketUrl).toBe(realmUrl)
      expect((await page.locator('#jwt-key').innerText()).trim()).toMatch(/^[A-Za-z0-9+/=]{200,}$/)
      const text = await pageText(page)
      expect(text).toContain(`LOGINROCKET_URL=${loginrocketUrl}`)
      expect(text).toContain(`loginrocketUrl: '${loginrocketUrl}'`)
      expect(text).toContain("require('@airlock/express')")

      // The copy buttons: shown by /assets/admin.js (the portal's CSP lets it run), and they copy the snippet.
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: demo.airlockUrl })
      const copy = page.locator('button[data-copy="env-snippet"]')
      await expect.poll(() => copy.isVisible()).toBe(true)
      await copy.click()
      await expect.poll(() => copy.innerText()).toBe('Copied')
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await page.locator('#env-snippet').innerText())

      // A fresh instance of the example app, configured with the value read from the page.
      const port = await freePort()
      const appUrl = `http://127.0.0.1:${port}`
      appData = tempDir('airlock-e2e-app-')
      const child = spawn(process.execPath, [join(repoRoot, 'examples/express-guide/app.js')], {
        cwd: repoRoot,
        env: cleanEnv({ PORT: String(port), LOGINROCKET_URL: loginrocketUrl, EXAMPLE_DATA: appData }),
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      app = new Running(child)
      await app.waitForOutput((output) => output.includes('Example app listening'), 20_000)

      // Its URL isn't a Login URL yet: add it through the page's form (a bad one first, refused next to the field).
      const field = page.getByLabel(/^Your app.s URL/)
      await field.fill('not a url')
      await page.getByRole('button', { name: 'Add Login URL' }).click()
      await expect.poll(async () => (await pageText(page)).includes('is not an absolute URL')).toBe(true)
      expect(await field.getAttribute('aria-invalid')).toBe('true')
      await shots.take(page, 'bad login url refused')
      await page.getByLabel(/^Your app.s URL/).fill(appUrl)
      await page.getByRole('button', { name: 'Add Login URL' }).click()
      await page.waitForURL((url) => url.pathname === `/admin/realms/${realmId}/integration` && url.searchParams.has('added'))
      expect(await pageText(page)).toContain(`Added ${appUrl}/.`)
      await shots.take(page, 'login url added')

      // Sign up from the fresh app, and land back in it, greeted by name: a protected page sends the app's address
      // along, and the login page's "Create an account" keeps it.
      const person = newPerson('Integra')
      await page.goto(`${appUrl}/`)
      await shots.take(page, 'fresh app home')
      await page.goto(`${appUrl}/me`)
      await page.waitForURL((url) => url.origin === loginrocketUrl && url.pathname === '/login')
      await page.getByRole('link', { name: 'Create an account' }).click()
      await page.waitForURL((url) => url.origin === loginrocketUrl && url.pathname === '/signup')
      await fillSignupForm(page, person)
      await shots.take(page, 'signup form')
      await page.getByRole('button', { name: 'Create account' }).click()
      await page.waitForURL((url) => url.origin === appUrl && url.pathname === '/me' && !url.search.includes('token='))
      const hi = page.getByRole('navigation', { name: 'Account' }).locator('.hi')
      await hi.waitFor({ timeout: 15_000 })
      expect((await hi.textContent())?.trim()).toBe(`Hi, ${person.first}!`)
      const landed = new URL(page.url())
      expect({ origin: landed.origin, path: landed.pathname, token: landed.search.includes('token=') }).toEqual({ origin: appUrl, path: '/me', token: false })
      await shots.take(page, 'signed up in the fresh app')

      // The portal, in a tab of its own: the user in the realm's Users page, with their events.
      const portal = await context.newPage()
      await portal.goto(`${demo.airlockUrl}/admin/realms/${realmId}/users`)
      await portal.getByLabel('Search by email, name or username').fill(person.email)
      await portal.getByRole('button', { name: 'Search' }).click()
      await portal.getByRole('link', { name: person.email }).click()
      await portal.waitForURL((url) => /^\/admin\/realms\/rl_\w+\/users\/usr_\w+$/.test(url.pathname))
      const userPage = await pageText(portal)
      expect(userPage).toContain(person.email)
      expect(userPage).toContain('user.created')
      expect(userPage).toContain('user.login.succeeded')
      await shots.take(portal, 'the user in the portal')
      await portal.getByRole('link', { name: 'All of this user’s events' }).click()
      const eventRows = portal.locator('tbody tr')
      await expect.poll(async () => (await eventRows.allInnerTexts()).join('\n')).toMatch(/user\.login\.succeeded[\s\S]*user\.created/)
      await shots.take(portal, 'the user’s events')

      // Revoke the session: the app still shows the user until its token's renewal (in the token's last seconds,
      // under a minute after the signup), which the revoked session no longer gets; then it logs them out.
      await portal.goBack()
      await portal.getByRole('button', { name: 'Revoke all sessions' }).click()
      await portal.waitForLoadState()
      expect(await pageText(portal)).toContain('Not logged in anywhere.')
      await page.goto(`${appUrl}/me`)
      expect(new URL(page.url()).origin).toBe(appUrl)
      await expect
        .poll(
          async () => {
            await page.goto(`${appUrl}/me`)
            const at = new URL(page.url())
            return `${at.origin}${at.pathname}`
          },
          { timeout: 80_000, interval: 2000 },
        )
        .toBe(`${loginrocketUrl}/login`)
      await shots.take(page, 'logged out by the app after the revocation')
      await portal.goto(`${demo.airlockUrl}/admin/realms/${realmId}/events?type=session.deleted`)
      expect(await pageText(portal)).toContain(person.email)
    } catch (error) {
      await shots.take(page, 'failed here').catch(() => {})
      if (app) console.error(`example app output:\n${app.output}`)
      throw error
    }
    // Up to a minute of it waits for the app's token renewal.
  }, 180_000)
})
