// The pages render in standards mode (issue 14: without a doctype Chromium used quirks mode), hosted and admin,
// with a screenshot of each to look at. SQLite only: the page renderer is the same on every database.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../../packages/server/test/support/dialects.js'
import { desktop, Shots } from '../support/browser.js'
import { closeDemoAndBrowser, startDemoAndBrowser, type Demo } from '../support/demo.js'

const PASSWORD = 'admin password 123'

describe.skipIf(!DIALECTS.includes('sqlite'))('the pages in Chromium (sqlite)', () => {
  let demo: Demo
  let browser: Browser

  beforeAll(async () => {
    ;({ demo, browser } = await startDemoAndBrowser('sqlite'))
  })

  afterAll(async () => {
    await closeDemoAndBrowser(demo, browser)
  })

  /** Opens `path` on the server; the page's rendering mode, after a screenshot of it. */
  async function modeOf(page: Page, shots: Shots, path: string): Promise<string> {
    const res = await page.goto(`${demo.airlockUrl}${path}`)
    expect(res?.status(), path).toBeLessThan(400)
    // The path without its query: the setup link's token stays out of file names.
    await shots.take(page, path.split('?')[0]!)
    return page.evaluate(() => document.compatMode)
  }

  it('hosted pages and admin pages render in standards mode (CSS1Compat), not quirks mode', async () => {
    const context = await browser.newContext({ viewport: desktop })
    try {
      const page = await context.newPage()
      const shots = new Shots('sqlite', 'standards-mode')
      for (const path of ['/login', '/signup', '/forgot']) expect(await modeOf(page, shots, path), path).toBe('CSS1Compat')

      // The first admin, through the one-time link the start printed, to see the signed-in portal too.
      const setup = /First admin: \S+(\/admin\/setup\?token=\S+)/.exec(demo.process.output)?.[1]
      expect(setup, demo.process.output).toBeDefined()
      expect(await modeOf(page, shots, setup!)).toBe('CSS1Compat')
      await page.getByLabel('Email').fill('standards-admin@example.com')
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
      await page.getByLabel('Confirm password').fill(PASSWORD)
      await Promise.all([page.waitForURL(`${demo.airlockUrl}/admin`), page.getByRole('button').last().click()])
      for (const path of ['/admin', '/admin/realms', '/admin/events']) expect(await modeOf(page, shots, path), path).toBe('CSS1Compat')
    } finally {
      await context.close()
    }
  })
})
