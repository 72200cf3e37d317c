// The flows of issue 4, as a person goes through them in Chromium, against the real server and the example app
// (see support/demo.ts). Each database's test file runs them all (about 25 s per database).
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../../packages/server/test/support/dialects.js'
import { linkIn } from '../../../packages/server/test/support/mail-catcher.js'
import { desktop, fillSignupForm, focused, labelledInputIds, newPerson, pageText, Shots, unlabelledInputs, type Person } from '../support/browser.js'
import { closeDemoAndBrowser, startDemoAndBrowser, type Demo, type Dialect } from '../support/demo.js'

/** Every flow on one database; AIRLOCK_TEST_DIALECTS=sqlite leaves PostgreSQL out. */
export function defineFlows(dialect: Dialect): void {
  describe.skipIf(!DIALECTS.includes(dialect))(`in Chromium, against the server (${dialect}) and the example app`, () => {
    let demo: Demo
    let browser: Browser
    let context: BrowserContext
    let page: Page
    let shots: Shots

    beforeAll(async () => {
      // Both at once: the browser starts while the server migrates.
      ;({ demo, browser } = await startDemoAndBrowser(dialect))
    })

    afterAll(async () => {
      // Each step runs even when one before it fails (or never started).
      await closeDemoAndBrowser(demo, browser)
    })

    /** A fresh browser profile (cookies and all). */
    async function newContext(): Promise<BrowserContext> {
      const fresh = await browser.newContext({ viewport: desktop })
      return fresh
    }

    beforeEach(async (ctx) => {
      context = await newContext()
      page = await context.newPage()
      shots = new Shots(dialect, ctx.task.name)
    })

    afterEach(async (ctx) => {
      const failed = ctx.task.result?.state === 'fail' && !ctx.task.fails
      try {
        if (failed) await shots.take(page, 'failed-here').catch(() => {})
      } finally {
        await context?.close()
      }
      // On failure, what the server and the app logged (warnings and errors only).
      if (failed && demo) console.error(`start.mjs output:\n${demo.process.output}`)
    })

    const app = (path = '/') => `${demo.exampleUrl}${path}`
    const server = (path: string) => `${demo.airlockUrl}${path}`
    /** On the app, with the token (if any) already taken out of the address bar. */
    const inApp = (path: string) => (url: URL) => url.origin === demo.exampleUrl && url.pathname === path && !url.search.includes('token=')
    const onServer = (path: string) => (url: URL) => url.origin === demo.airlockUrl && url.pathname === path
    const accountNav = () => page.getByRole('navigation', { name: 'Account' })

    /** From the app's home page: Signup in the nav, the server's form, and back to the app logged in. */
    async function signUp(person: Person, on: Page = page, screenshots?: Shots): Promise<void> {
      await on.goto(app('/'))
      await screenshots?.take(on, 'app home, logged out')
      await on.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Signup', exact: true }).click()
      await on.waitForURL(onServer('/signup'))
      await fillSignupForm(on, person)
      await screenshots?.take(on, 'signup form filled in')
      await on.getByRole('button', { name: 'Create account' }).click()
      await on.waitForURL(inApp('/'))
    }

    /** Someone who already has an account (made in a browser of their own), logged out here. */
    async function existingPerson(first: string): Promise<Person> {
      const person = newPerson(first)
      const elsewhere = await newContext()
      try {
        await signUp(person, await elsewhere.newPage())
      } finally {
        await elsewhere.close()
      }
      return person
    }

    async function fillLogin(person: { email: string; password: string }): Promise<void> {
      await page.getByLabel('Email').fill(person.email)
      await page.getByLabel('Password').fill(person.password)
    }

    async function greeting(): Promise<string> {
      return (await accountNav().locator('.hi').textContent())?.trim() ?? ''
    }

    /** Presses Tab until `target` (as `focused()` names it) has the focus; returns what was passed on the way. */
    async function tabTo(target: string, most = 25): Promise<string[]> {
      const passed: string[] = []
      for (let i = 0; i < most; i++) {
        await page.keyboard.press('Tab')
        const now = await focused(page)
        passed.push(now.name)
        if (now.name === target) return passed
      }
      throw new Error(`${most} Tabs never reached ${target}; passed ${passed.join(', ')}`)
    }

    /** Waits (a moment: browsers apply `autofocus` when they render) until `target` has the focus, visibly. */
    async function expectFocusOn(target: string): Promise<void> {
      let now = await focused(page)
      for (const deadline = Date.now() + 3000; now.name !== target && Date.now() < deadline; now = await focused(page)) await page.waitForTimeout(50)
      expect(now).toEqual({ name: target, visible: true })
    }

    /** Asks LoginRocket to renew `token` as the middleware does; the status says whether its session lives. */
    async function renewStatus(token: string): Promise<number> {
      const response = await fetch(server('/connect/renew'), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      })
      await response.body?.cancel()
      return response.status
    }


    // Under Referrer-Policy: no-referrer a browser posts its forms with `Origin: null`, which the CSRF check
    // refuses; the hosted pages use same-origin so that their own forms carry the real Origin.
    it("the hosted forms accept what a browser posts: its real Origin, not null", async () => {
      const plain = await browser.newContext({ viewport: desktop })
      try {
        const tab = await plain.newPage()
        const person = newPerson('Olga', 'Origin')
        await tab.goto(app('/'))
        await tab.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Signup', exact: true }).click()
        await tab.waitForURL(onServer('/signup'))
        await tab.getByLabel('Email').fill(person.email)
        await tab.getByLabel('Password').fill(person.password)
        const [post] = await Promise.all([tab.waitForRequest((r) => r.method() === 'POST'), tab.getByRole('button', { name: 'Create account' }).click()])
        expect(post.headers().origin).toBe(demo.airlockUrl)
        await tab.waitForURL(inApp('/'), { timeout: 5000 })
        await shots.take(tab, 'signed up')
      } finally {
        await plain.close()
      }
    })

    it('1. a new visitor signs up from the app and lands back on it greeted by name, the token gone from the address bar', async () => {
      const person = newPerson('Dave', 'Visitor')
      const tokensInUrls: string[] = []
      page.on('request', (request) => {
        const url = new URL(request.url())
        if (url.origin === demo.exampleUrl && url.searchParams.has('token')) tokensInUrls.push(url.href)
      })

      await page.goto(app('/'))
      expect(await accountNav().getByRole('link', { name: 'Login' }).isVisible()).toBe(true)
      await signUp(person, page, shots)
      await shots.take(page, 'back in the app, greeted')

      expect(await greeting()).toBe('Hi, Dave!')
      // Brand new: welcomed, not welcomed back (that is for the reload below).
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Welcome, Dave.')
      // The server sent the browser back with ?token=..., and the app took it out of the address bar.
      expect(tokensInUrls).toHaveLength(1)
      expect(tokensInUrls[0]).toMatch(new RegExp(`^${demo.exampleUrl}/\\?token=`))
      expect(page.url()).toBe(app('/'))
      expect(page.url()).not.toContain('token=')
      // The app keeps the login in its cookie: a reload is still logged in.
      await page.reload()
      expect(await greeting()).toBe('Hi, Dave!')
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Welcome back, Dave.')
    })

    it('2. a protected page opened while logged out goes to the login page, and back to that page after login', async () => {
      const person = await existingPerson('Petra')

      await page.goto(app('/me'))
      await page.waitForURL(onServer('/login'))
      expect(new URL(page.url()).searchParams.get('redirect_uri')).toBe(app('/me'))
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Log in')
      await shots.take(page, 'login page for the protected page')

      await fillLogin(person)
      await page.getByRole('button', { name: 'Log in' }).click()
      await page.waitForURL(inApp('/me'))
      await shots.take(page, 'back on the protected page')
      expect(page.url()).toBe(app('/me'))
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your login')
      expect(await pageText(page)).toContain(person.email)
      expect(await greeting()).toBe('Hi, Petra!')
    })

    it('3. Manage Profile: a new first name, "Back to the app", and the app shows the new name at once', async () => {
      const person = newPerson('Mia', 'Profile')
      await signUp(person)
      await page.goto(app('/me'))
      expect(await greeting()).toBe('Hi, Mia!')
      await shots.take(page, 'app before the change')

      await accountNav().getByRole('link', { name: 'Manage Profile' }).click()
      await page.waitForURL(onServer('/profile'))
      expect(new URL(page.url()).searchParams.get('redirect_uri')).toBe(app('/me'))
      await shots.take(page, 'profile page')

      await page.getByLabel(/^First name/).fill('Miriam')
      await page.getByRole('button', { name: 'Save name' }).click()
      await page.getByText('Your name was saved.').waitFor()
      expect(await page.locator('#name-heading + .current').textContent()).toBe('Miriam Profile')
      await shots.take(page, 'name saved')

      // "Back to the app" goes through /login, which sends the browser back with a fresh token.
      const hops: string[] = []
      page.on('request', (request) => {
        if (request.isNavigationRequest()) hops.push(new URL(request.url()).pathname)
      })
      await page.getByRole('link', { name: 'Back to the app' }).click()
      await page.waitForURL(inApp('/me'))
      await shots.take(page, 'app with the new name')
      expect(hops).toContain('/login')
      expect(await greeting()).toBe('Hi, Miriam!')
      expect(await pageText(page)).toContain('Miriam Profile')
    })

    it('4. forgot password from the login page: the mailed link sets a new password, and logging in with it works', async () => {
      const person = await existingPerson('Fiona')
      const newPassword = 'a brand new passphrase 42'

      // A protected page asks for a login; the password is forgotten.
      await page.goto(app('/me'))
      await page.waitForURL(onServer('/login'))
      await page.getByRole('link', { name: 'Forgot your password?' }).click()
      await page.waitForURL(onServer('/forgot'))
      expect(new URL(page.url()).searchParams.get('redirect_uri')).toBe(app('/me'))
      await page.getByLabel('Email').fill(person.email)
      await shots.take(page, 'forgot form')
      await page.getByRole('button', { name: 'Send the link' }).click()
      await page.getByRole('heading', { name: 'Check your email' }).waitFor()
      await shots.take(page, 'check your email')

      // The mail reached the test's SMTP server, with a single-use link to /reset that keeps the way back.
      const mail = await demo.waitForMail(person.email, /\/reset\?/)
      const link = linkIn(mail.text, demo.airlockUrl, '/reset')
      expect(link.searchParams.get('redirect_uri')).toBe(app('/me'))
      await page.goto(link.href)
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Choose a new password')
      await page.getByLabel('New password').fill(newPassword)
      await shots.take(page, 'reset form')
      await page.getByRole('button', { name: 'Set the new password' }).click()
      // The reset logs in and goes back to the page that asked for the login.
      await page.waitForURL(inApp('/me'))
      await shots.take(page, 'back in the app after the reset')
      expect(await greeting()).toBe('Hi, Fiona!')

      // The link is single-use.
      const again = await page.goto(link.href)
      expect(again?.status()).toBe(410)

      // In another browser: the old password is refused, the new one logs in.
      await context.close()
      context = await newContext()
      page = await context.newPage()
      await page.goto(app('/me'))
      await page.waitForURL(onServer('/login'))
      await fillLogin(person)
      await page.getByRole('button', { name: 'Log in' }).click()
      await page.getByRole('alert').waitFor()
      expect(page.url()).toContain(`${demo.airlockUrl}/login`)
      await shots.take(page, 'old password refused')
      await fillLogin({ email: person.email, password: newPassword })
      await page.getByRole('button', { name: 'Log in' }).click()
      await page.waitForURL(inApp('/me'))
      await shots.take(page, 'logged in with the new password')
      expect(await greeting()).toBe('Hi, Fiona!')
    })

    it("5. Logout ends the app's and LoginRocket's session: the login form shows again, and an earlier token no longer renews", async () => {
      const person = newPerson('Lou', 'Logout')
      // The token LoginRocket hands the app, read from the redirect (the app takes it out of the address bar).
      let token: string | null = null
      page.on('request', (request) => {
        const url = new URL(request.url())
        if (url.origin === demo.exampleUrl && url.searchParams.has('token')) token = url.searchParams.get('token')
      })
      await signUp(person)
      await page.goto(app('/me'))
      expect(await greeting()).toBe('Hi, Lou!')
      await shots.take(page, 'logged in')
      expect(token).not.toBeNull()
      const captured: string = token!
      expect(await renewStatus(captured)).toBe(200)
      expect((await context.cookies(demo.exampleUrl)).map((c) => c.name)).toContain('arToken')

      await accountNav().getByRole('link', { name: 'Logout' }).click()
      await page.waitForURL(inApp('/'))
      await shots.take(page, 'logged out, on the home page')
      expect(await accountNav().getByRole('link', { name: 'Login' }).isVisible()).toBe(true)
      expect(await accountNav().locator('.hi').count()).toBe(0)
      expect((await context.cookies(demo.exampleUrl)).map((c) => c.name)).not.toContain('arToken')

      // LoginRocket's session ended too: the login form shows instead of a bounce straight back with a token.
      await page.goto(app('/me'))
      await page.waitForURL(onServer('/login'))
      await page.getByLabel('Email').waitFor({ state: 'visible' })
      await page.waitForLoadState('networkidle')
      expect(new URL(page.url()).pathname).toBe('/login')
      await shots.take(page, 'protected page asks for login again')

      // And the session behind the earlier token is over.
      expect(await renewStatus(captured)).toBe(401)
    })

    it('6. /admin without site:admin shows the 403 page', async () => {
      await signUp(newPerson('Nadia', 'Noadmin'))
      const response = await page.goto(app('/admin'))
      await shots.take(page, 'admins only')
      expect(response?.status()).toBe(403)
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Admins only')
      expect(await pageText(page)).toContain('site:admin')
    })

    it('7a. every input on the hosted pages (login, signup, forgot, reset, profile) has a label', async () => {
      const person = newPerson('Lena', 'Labels')
      const checkLabels = async (pageName: string, expected: string[]) => {
        await shots.take(page, pageName)
        expect(await unlabelledInputs(page), `unlabelled inputs on the ${pageName} page`).toEqual([])
        expect(await labelledInputIds(page), `inputs on the ${pageName} page`).toEqual(expected)
      }

      await page.goto(app('/'))
      await accountNav().getByRole('link', { name: 'Login' }).click()
      await page.waitForURL(onServer('/login'))
      await checkLabels('login', ['email', 'password'])

      await page.getByRole('link', { name: 'Create an account' }).click()
      await page.waitForURL(onServer('/signup'))
      await checkLabels('signup', ['first_name', 'last_name', 'email', 'password'])
      await fillSignupForm(page, person)
      await page.getByRole('button', { name: 'Create account' }).click()
      await page.waitForURL(inApp('/'))

      await accountNav().getByRole('link', { name: 'Manage Profile' }).click()
      await page.waitForURL(onServer('/profile'))
      await checkLabels('profile', ['first_name', 'last_name', 'email', 'email_password', 'current_password', 'new_password'])

      await page.goto(app('/logout'))
      await page.waitForURL(inApp('/'))
      await accountNav().getByRole('link', { name: 'Login' }).click()
      await page.getByRole('link', { name: 'Forgot your password?' }).click()
      await page.waitForURL(onServer('/forgot'))
      await checkLabels('forgot', ['email'])
      await page.getByLabel('Email').fill(person.email)
      await page.getByRole('button', { name: 'Send the link' }).click()
      await page.getByRole('heading', { name: 'Check your email' }).waitFor()

      const mail = await demo.waitForMail(person.email, /\/reset\?/)
      await page.goto(linkIn(mail.text, demo.airlockUrl, '/reset').href)
      await checkLabels('reset', ['new_password'])
    })

    it('7b. signup and login work with the keyboard alone, in a sensible focus order with a visible focus', async () => {
      const person = newPerson('Kai', 'Keys')
      /** Tab once and say what has the focus; the focus must be visible. */
      const tab = async () => {
        await page.keyboard.press('Tab')
        const now = await focused(page)
        expect(now.visible, `focus on ${now.name} is visible`).toBe(true)
        return now.name
      }

      // Signup: from the app's nav, by keyboard.
      await page.goto(app('/'))
      await tabTo('a:Signup')
      await shots.take(page, 'signup link focused')
      await page.keyboard.press('Enter')
      await page.waitForURL(onServer('/signup'))
      await expectFocusOn('#first_name') // autofocus
      await page.keyboard.type(person.first)
      expect(await tab()).toBe('#last_name')
      await page.keyboard.type(person.last)
      expect(await tab()).toBe('#email')
      await page.keyboard.type(person.email)
      expect(await tab()).toBe('#password')
      await page.keyboard.type(person.password)
      expect(await tab()).toBe('button:Create account')
      await shots.take(page, 'signup filled by keyboard, button focused')
      expect(await tab()).toBe('a:Already have an account? Log in')
      await page.keyboard.press('Shift+Tab')
      expect((await focused(page)).name).toBe('button:Create account')
      await page.keyboard.press('Enter')
      await page.waitForURL(inApp('/'))
      expect(await greeting()).toBe('Hi, Kai!')
      await shots.take(page, 'signed up by keyboard')

      // Logout, by keyboard too.
      await tabTo('a:Logout')
      await page.keyboard.press('Enter')
      // Already on '/': wait for the nav to change rather than for the address.
      await accountNav().getByRole('link', { name: 'Login' }).waitFor()

      // Login: the protected page sends the browser to the form; Enter in the password field submits it.
      await page.goto(app('/me'))
      await page.waitForURL(onServer('/login'))
      await expectFocusOn('#email') // autofocus
      await page.keyboard.type(person.email)
      expect(await tab()).toBe('#password')
      await page.keyboard.type(person.password)
      expect(await tab()).toBe('button:Log in')
      expect(await tab()).toBe('a:Forgot your password?')
      expect(await tab()).toBe('a:Create an account')
      // Back to the password field, then Enter there submits the form.
      for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+Tab')
      expect((await focused(page)).name).toBe('#password')
      await shots.take(page, 'login filled by keyboard')
      await page.keyboard.press('Enter')
      await page.waitForURL(inApp('/me'))
      await shots.take(page, 'logged in by keyboard')
      expect(await greeting()).toBe('Hi, Kai!')
    })

    it("8. login CSRF: a link carrying the attacker's own token logs nobody in as the attacker, in this browser or a fresh one", async () => {
      // The attacker signs up in a browser of their own and keeps the token LoginRocket hands their app.
      const attacker = newPerson('Mallory', 'Attacker')
      const theirs = await newContext()
      let planted: string | null = null
      try {
        const attackerPage = await theirs.newPage()
        attackerPage.on('request', (request) => {
          const url = new URL(request.url())
          if (url.origin === demo.exampleUrl && url.searchParams.has('token')) planted = url.searchParams.get('token')
        })
        await signUp(attacker, attackerPage)
      } finally {
        await theirs.close()
      }
      expect(planted).not.toBeNull()
      const link = app(`/me?token=${planted!}`)

      // A logged-in victim opens the link: the app sends the browser through /login once, where the victim's own
      // LoginRocket session answers, and the victim stays themselves.
      await signUp(newPerson('Victor', 'Victim'))
      await page.goto(link)
      await page.waitForURL(inApp('/me'))
      expect(await greeting()).toBe('Hi, Victor!')
      expect(await pageText(page)).not.toContain(attacker.email)
      await shots.take(page, 'the victim is still themselves')

      // Someone logged out opens it: the login form, not the attacker's account.
      const fresh = await newContext()
      try {
        const freshPage = await fresh.newPage()
        await freshPage.goto(link)
        await freshPage.waitForURL(onServer('/login'))
        await freshPage.getByLabel('Email').waitFor({ state: 'visible' })
        expect((await fresh.cookies(demo.exampleUrl)).map((c) => c.name)).not.toContain('arToken')
      } finally {
        await fresh.close()
      }
    })
  })
}
