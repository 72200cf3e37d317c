// Accounts in a multi-user realm, as people go through them in Chromium, against the real server and the
// example app (SQLite): a second account and switching between them, an invitation by mail, and a permission
// given on the account page reaching the invitee's app at the token's next renewal (about a minute: the realm's
// tokens live 1 minute here). About 80 s in all.
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../../packages/server/test/support/dialects.js'
import { linkIn } from '../../../packages/server/test/support/mail-catcher.js'
import { desktop, fillSignupForm, newPerson, pageText, Shots, type Person } from '../support/browser.js'
import { closeDemoAndBrowser, startDemoAndBrowser, type Demo } from '../support/demo.js'

describe.skipIf(!DIALECTS.includes('sqlite'))('accounts in Chromium, against the server (sqlite, multi-user realm) and the example app', () => {
  let demo: Demo
  let browser: Browser
  /** Every browser profile a test opened, closed after it. */
  let contexts: BrowserContext[] = []
  /** The pages to screenshot when a test fails. */
  let pages: Page[] = []
  let shots: Shots

  beforeAll(async () => {
    ;({ demo, browser } = await startDemoAndBrowser('sqlite'))
    // Before anyone signs up: the server reads the realm's settings on every request.
    const settings = await demo.settings(
      'org_mode=multi_user',
      'org_name_field=required',
      'permissions=site:admin,forum:moderator',
      // Tokens of 1 minute, renewed in their last 6 s: a new permission reaches the app within a minute.
      'jwt_minutes=1',
    )
    expect(settings).toMatchObject({ org_mode: 'multi_user', permissions: ['site:admin', 'forum:moderator'], jwt_minutes: 1 })
  })

  afterAll(async () => {
    await closeDemoAndBrowser(demo, browser)
  })

  beforeEach((ctx) => {
    contexts = []
    pages = []
    shots = new Shots('sqlite', 'accounts', ctx.task.name)
  })

  afterEach(async (ctx) => {
    const failed = ctx.task.result?.state === 'fail' && !ctx.task.fails
    try {
      if (failed) for (const [i, page] of pages.entries()) await shots.take(page, `failed-here-browser-${i + 1}`).catch(() => {})
    } finally {
      await Promise.allSettled(contexts.map((context) => context.close()))
    }
    if (failed && demo) console.error(`start.mjs output:\n${demo.process.output}`)
  })

  /** A fresh browser profile (cookies and all) with one tab. */
  async function newBrowser(): Promise<Page> {
    const context = await browser.newContext({ viewport: desktop })
    contexts.push(context)
    const page = await context.newPage()
    pages.push(page)
    return page
  }

  const app = (path = '/') => `${demo.exampleUrl}${path}`
  const inApp = (path: string) => (url: URL) => url.origin === demo.exampleUrl && url.pathname === path && !url.search.includes('token=')
  const onServer = (path: string | RegExp) => (url: URL) => url.origin === demo.airlockUrl && (typeof path === 'string' ? url.pathname === path : path.test(url.pathname))
  const nav = (page: Page) => page.getByRole('navigation', { name: 'Account' })

  /** Signup from the app's nav, with an account name; back in the app, logged in. */
  async function signUp(page: Page, person: Person, accountName: string): Promise<void> {
    await page.goto(app('/'))
    await nav(page).getByRole('link', { name: 'Signup', exact: true }).click()
    await page.waitForURL(onServer('/signup'))
    await fillSignupForm(page, person)
    await page.getByLabel(/^Account name/).fill(accountName)
    await shots.take(page, `signup form of ${person.first}`)
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.waitForURL(inApp('/'))
  }

  /** Opens the link of the confirmation mail their signup sent (only people with a confirmed address may invite). */
  async function confirmEmail(page: Page, person: Person): Promise<void> {
    const mail = await demo.waitForMail(person.email, /\/verify\?token=/)
    await page.goto(linkIn(mail.text, demo.airlockUrl, '/verify').href)
    expect(await pageText(page)).toContain(`Thank you: ${person.email} is confirmed.`)
  }

  /** The account panel of /me: its name, and the permissions listed under it. */
  async function me(page: Page): Promise<{ account: string; permissions: string[] }> {
    await page.goto(app('/me'))
    const account = (await page.locator('section.panel').filter({ has: page.getByRole('heading', { name: /^Account/ }) }).locator('dd').first().textContent())?.trim() ?? ''
    const permissions = (await page.locator('ul.perms li').allTextContents()).map((text) => text.trim())
    return { account, permissions }
  }

  async function projects(page: Page): Promise<string[]> {
    await page.goto(app('/projects'))
    return (await page.locator('table.list tbody tr td:first-child').allTextContents()).map((text) => text.trim())
  }

  async function addProject(page: Page, name: string): Promise<void> {
    await page.goto(app('/projects'))
    await page.getByLabel('New project').fill(name)
    await page.getByRole('button', { name: 'Add project' }).click()
    await page.waitForURL(inApp('/projects'))
  }

  /** "Switch accounts" in the app's nav, then the account's button on the server's list; back in the app. */
  async function switchTo(page: Page, accountName: string, step: string): Promise<void> {
    await page.goto(app('/'))
    await nav(page).getByRole('link', { name: 'Switch accounts' }).click()
    await page.waitForURL(onServer('/accounts'))
    await shots.take(page, step)
    await page.locator('ul.accounts').getByRole('button', { name: new RegExp(`^${accountName}`) }).click()
    await page.waitForURL(inApp('/'))
  }

  /** The owner (logged in on `owner`) invites `invitee` with `permissions` from "Manage current account". */
  async function invite(owner: Page, invitee: Person, permissions: string[]): Promise<URL> {
    await owner.goto(app('/'))
    await nav(owner).getByRole('link', { name: 'Manage current account' }).click()
    await owner.waitForURL(onServer(/^\/accounts\/org_/))
    const form = owner.locator('form').filter({ has: owner.getByRole('button', { name: 'Send invitation' }) })
    await form.getByLabel('Email address').fill(invitee.email)
    for (const permission of permissions) await form.getByRole('checkbox', { name: permission, exact: true }).check()
    await shots.take(owner, 'invitation filled in')
    await form.getByRole('button', { name: 'Send invitation' }).click()
    await expect.poll(() => pageText(owner)).toContain(invitee.email)
    await shots.take(owner, 'invitation sent')
    const mail = await demo.waitForMail(invitee.email, /invitations\/accept/)
    return linkIn(mail.text, demo.airlockUrl, '/invitations/accept')
  }

  /** The invitee, new here, opens the link in a browser of their own and signs up; back in the app. */
  async function acceptBySignup(link: URL, invitee: Person): Promise<Page> {
    const page = await newBrowser()
    await page.goto(link.href)
    await page.waitForURL(onServer('/signup'))
    expect(await pageText(page)).toMatch(/You’re invited to join/)
    await expect.poll(() => page.getByLabel('Email').inputValue()).toBe(invitee.email)
    await expect(page.getByLabel(/^Account name/).count()).resolves.toBe(0)
    await page.getByLabel(/^First name/).fill(invitee.first)
    await page.getByLabel(/^Last name/).fill(invitee.last)
    await page.getByLabel('Password').fill(invitee.password)
    await shots.take(page, 'invited signup form')
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.waitForURL((url) => url.origin === demo.exampleUrl && !url.search.includes('token='))
    return page
  }

  it('1. a second account from "Switch accounts"; switching changes /me and the projects list', async () => {
    const page = await newBrowser()
    const ann = newPerson('Ann', 'Accounts')
    await signUp(page, ann, 'Ann Bakery')
    expect(await me(page)).toMatchObject({ account: 'Ann Bakery' })
    await shots.take(page, 'me shows the first account')
    await addProject(page, 'Sourdough launch')
    expect(await projects(page)).toEqual(['Sourdough launch'])
    await shots.take(page, 'a project in the first account')

    // "Switch accounts" → "Create another account": the new account becomes the current one. With a single
    // account the list chooses it without asking and goes straight back (see the server's accounts routes),
    // so the nav's link is followed with force=1, which shows the list and its form.
    await page.goto(app('/'))
    const switchLink = new URL((await nav(page).getByRole('link', { name: 'Switch accounts' }).getAttribute('href'))!, app('/'))
    expect(switchLink.origin + switchLink.pathname).toBe(`${demo.airlockUrl}/accounts`)
    switchLink.searchParams.set('force', '1')
    await page.goto(switchLink.href)
    await page.waitForURL(onServer('/accounts'))
    const create = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Create another account' }) })
    await create.getByLabel('Account name').fill('Ann Catering')
    await shots.take(page, 'create another account')
    await create.getByRole('button', { name: 'Create account' }).click()
    await page.waitForURL(inApp('/'))
    expect(await me(page)).toMatchObject({ account: 'Ann Catering' })
    await shots.take(page, 'me shows the second account')
    expect(await projects(page)).toEqual([])
    await addProject(page, 'Wedding menu')
    expect(await projects(page)).toEqual(['Wedding menu'])
    await shots.take(page, 'the second account has its own projects')

    await switchTo(page, 'Ann Bakery', 'the accounts list, second current')
    expect(await me(page)).toMatchObject({ account: 'Ann Bakery' })
    expect(await projects(page)).toEqual(['Sourdough launch'])
    await shots.take(page, 'back in the first account')

    await switchTo(page, 'Ann Catering', 'the accounts list, first current')
    expect(await me(page)).toMatchObject({ account: 'Ann Catering' })
    expect(await projects(page)).toEqual(['Wedding menu'])
    await shots.take(page, 'in the second account again')
  })

  it('2. an invitation by mail: the invitee signs up from the link and lands in the account with its permissions', async () => {
    const owner = await newBrowser()
    const olga = newPerson('Olga', 'Owner')
    const ivan = newPerson('Ivan', 'Invitee')
    await signUp(owner, olga, 'Olga Forum')
    await confirmEmail(owner, olga)
    const link = await invite(owner, ivan, ['forum:moderator'])

    const invitee = await acceptBySignup(link, ivan)
    await shots.take(invitee, 'the invitee in the app')
    expect((await nav(invitee).locator('.hi').textContent())?.trim()).toBe('Hi, Ivan!')
    expect(await me(invitee)).toEqual({ account: 'Olga Forum', permissions: ['forum:moderator'] })
    await shots.take(invitee, 'me shows the account and forum moderator')
    // They joined the owner's account and got none of their own.
    expect(await projects(invitee)).toEqual([])
    await addProject(invitee, 'Moderation rules')
    expect(await projects(owner)).toEqual(['Moderation rules'])
    await shots.take(owner, 'the owner sees the invitee project')
  })

  it('3. site:admin given on the account page reaches the invitee at the next token renewal: /admin 403, then 200', async () => {
    const owner = await newBrowser()
    const paula = newPerson('Paula', 'Owner')
    const rita = newPerson('Rita', 'Renewal')
    await signUp(owner, paula, 'Paula Admins')
    await confirmEmail(owner, paula)
    const invitee = await acceptBySignup(await invite(owner, rita, ['forum:moderator']), rita)
    const joined = Date.now()

    const before = await invitee.goto(app('/admin'))
    expect(before?.status()).toBe(403)
    expect(await pageText(invitee)).toContain('Admins only')
    await shots.take(invitee, 'admin 403 before')

    // The owner ticks site:admin for the invitee on "Manage current account".
    await owner.goto(app('/'))
    await nav(owner).getByRole('link', { name: 'Manage current account' }).click()
    await owner.waitForURL(onServer(/^\/accounts\/org_/))
    const member = owner.getByRole('group', { name: `Permissions of ${rita.email}` })
    await member.getByRole('checkbox', { name: 'site:admin', exact: true }).check()
    await shots.take(owner, 'site admin ticked')
    await owner.locator('form').filter({ has: member }).getByRole('button', { name: 'Save permissions' }).click()
    await expect.poll(() => member.getByRole('checkbox', { name: 'site:admin', exact: true }).isChecked()).toBe(true)
    await shots.take(owner, 'permissions saved')

    // The invitee's app still has the token from the signup (1 minute); the middleware renews it
    // server-to-server in its last 6 s, and the renewed token carries site:admin.
    let status = 0
    const deadline = Date.now() + 70_000
    while (Date.now() < deadline) {
      status = (await invitee.goto(app('/admin')))?.status() ?? 0
      if (status !== 403) break
      await invitee.waitForTimeout(2000)
    }
    const waited = Date.now() - joined
    expect(status).toBe(200)
    // Not before the token's renewal window (54 s after it was issued, at signup).
    expect(waited).toBeGreaterThan(45_000)
    await shots.take(invitee, 'admin 200 after the renewal')
    expect(await me(invitee)).toMatchObject({ account: 'Paula Admins', permissions: expect.arrayContaining(['forum:moderator', 'site:admin']) as unknown as string[] })
    await shots.take(invitee, 'me shows site admin')
  }, 100_000)
})
