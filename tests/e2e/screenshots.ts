// `npm run screenshots -w @airlock/e2e` (after `npm run build`): the README's two pictures, taken from the real
// demo in Debian's Chromium at a desktop size. The example app's home page logged in (with the nav) goes to
// docs/screenshots/example-app.png, the server's login page to docs/screenshots/login-page.png, and that user's page
// in the admin portal (after setting up the first admin from `airlock init`'s link) to docs/screenshots/admin-user.png.
import { mkdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { Browser } from 'playwright-core'
import { cleanEnv, cliPath, run } from '../../examples/express-guide/test/support/processes.js'
import { desktop, e2eDir, launchChromium } from './support/browser.js'
import { startDemo, type Demo } from './support/demo.js'

const outDir = join(e2eDir, '..', '..', 'docs', 'screenshots')
/** Each picture stays below this, so the README stays quick to load (and the repository small). */
const MAX_BYTES = 200 * 1024

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true })
  let demo: Demo | undefined
  let browser: Browser | undefined
  try {
    ;[demo, browser] = await Promise.all([startDemo('sqlite'), launchChromium()])
    const { airlockUrl, exampleUrl } = demo
    const context = await browser.newContext({ viewport: desktop })
    const page = await context.newPage()

    // The server's login page, as the app's Login link opens it.
    await page.goto(`${exampleUrl}/`)
    await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Login', exact: true }).click()
    await page.waitForURL((url) => url.origin === airlockUrl && url.pathname === '/login')
    await page.getByLabel('Email').waitFor()
    // The card ends well above the window's bottom: leave out the empty rest.
    await save(page.screenshot({ path: join(outDir, 'login-page.png'), clip: { x: 0, y: 0, width: desktop.width, height: 560 } }), 'login-page.png')

    // Sign up, and the app's home page greets the new user.
    await page.getByRole('link', { name: 'Create an account' }).click()
    await page.getByLabel(/^First name/).fill('Dave')
    await page.getByLabel(/^Last name/).fill('Example')
    await page.getByLabel('Email').fill('dave@example.com')
    await page.getByLabel('Password').fill('correct horse battery staple')
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.waitForURL((url) => url.origin === exampleUrl && url.pathname === '/' && url.search === '')
    await page.getByText('Hi, Dave!').waitFor()
    await save(page.screenshot({ path: join(outDir, 'example-app.png') }), 'example-app.png')

    // The portal: the first admin from the one-time link, then Dave's page in the realm's Users.
    const summary = JSON.parse(
      await run([cliPath, 'init', '--json', '--data', demo.dataDir, '--public-url', airlockUrl], cleanEnv({ LOG_LEVEL: 'silent' })),
    ) as { realm_id: string; admin_setup_url: string }
    await page.goto(summary.admin_setup_url)
    await page.getByLabel('Email').fill('admin@example.com')
    await page.getByLabel('Password', { exact: true }).fill('a long portal passphrase')
    await page.getByLabel('Confirm password').fill('a long portal passphrase')
    await page.getByRole('button', { name: 'Create admin' }).click()
    await page.waitForURL(`${airlockUrl}/admin`)
    await page.goto(`${airlockUrl}/admin/realms/${summary.realm_id}/users`)
    await page.getByRole('link', { name: 'dave@example.com' }).click()
    await page.getByRole('heading', { name: 'Sessions' }).waitFor()
    await save(page.screenshot({ path: join(outDir, 'admin-user.png'), fullPage: true, clip: { x: 0, y: 0, width: desktop.width, height: 1250 } }), 'admin-user.png')
  } finally {
    await Promise.allSettled([browser?.close(), demo?.close()])
  }
}

async function save(taken: Promise<unknown>, name: string): Promise<void> {
  await taken
  const path = join(outDir, name)
  const { size } = statSync(path)
  process.stdout.write(`${relative(process.cwd(), path)}: ${Math.round(size / 1024)} KB\n`)
  if (size > MAX_BYTES) throw new Error(`${name} is ${size} bytes, over ${MAX_BYTES}: use a smaller viewport or page`)
}

main().catch((error: unknown) => {
  process.stderr.write(`screenshots: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exitCode = 1
})
