// The release as a user gets it: `npm run pack`, both tarballs installed into an empty project outside the
// workspace, and the guide's app run there against `npx @airlock/server start`, in Debian's Chromium.
import { lstatSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { desktop, fillSignupForm, launchChromium, newPerson, pageText, Shots } from '../../e2e/support/browser.js'
import { freePort, removeDir, repoRoot, start, tempDir } from '../../../examples/express-guide/test/support/processes.js'
import { exec, startNpx, userEnv } from '../support/npx.js'
import { nodeScripts } from '../support/processes.js'
import { installedProject } from '../support/project.js'
import { entries } from '../support/tarball.js'

const version = (dir: string) => (JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as { version: string }).version

let packDir: string
let tarballs: { express: string; server: string }
let project: string | undefined

/** A server data folder, master key and all, as running the CLI inside a package folder would leave it. */
const strayData = `.airlock-install-test-${process.pid}`

beforeAll(async () => {
  packDir = tempDir('airlock-pack-')
  for (const dir of ['packages/express', 'packages/server']) {
    mkdirSync(join(repoRoot, dir, strayData))
    writeFileSync(join(repoRoot, dir, strayData, 'secret.key'), 'not for the tarball\n')
  }
  let printed: string
  try {
    // Fails unless publint and attw pass both tarballs.
    printed = await exec('npm', ['run', '--silent', 'pack'], repoRoot, userEnv({ AIRLOCK_PACK_DIR: packDir }))
  } finally {
    for (const dir of ['packages/express', 'packages/server']) removeDir(join(repoRoot, dir, strayData))
  }
  const [express, server] = printed.trim().split('\n')
  tarballs = { express: express!, server: server! }
  project = await installedProject(tarballs)
})

afterAll(() => {
  if (project) removeDir(project)
  removeDir(packDir)
})

describe('npm run pack', () => {
  it('prints the two tarballs it wrote, named after each package and its version', () => {
    expect(tarballs).toEqual({
      express: join(packDir, `airlock-express-${version('packages/express')}.tgz`),
      server: join(packDir, `airlock-server-${version('packages/server')}.tgz`),
    })
  })

  it('leaves out a data folder with a master key sitting in a package folder', async () => {
    for (const tarball of [tarballs.express, tarballs.server]) {
      expect((await entries(tarball)).filter((entry) => entry.path.includes(strayData) || entry.path.endsWith('secret.key'))).toEqual([])
    }
  })

  it('the express tarball holds the built code, its types, README and LICENSE, and nothing else', async () => {
    const paths = (await entries(tarballs.express)).map((entry) => entry.path)
    expect(paths.filter((path) => !/^package\/(package\.json|README\.md|LICENSE|dist\/[\w/-]+\.(js|d\.ts))$/.test(path))).toEqual([])
    expect(paths).toEqual(expect.arrayContaining(['package/LICENSE', 'package/README.md', 'package/dist/index.js', 'package/dist/index.d.ts']))
    // Every module has its declarations beside it.
    const js = paths.filter((path) => path.endsWith('.js'))
    expect(paths.filter((path) => path.endsWith('.d.ts'))).toHaveLength(js.length)
  })

  it('the server tarball holds the built code, its assets, README and LICENSE: no types, no maps, and an executable bin', async () => {
    const found = await entries(tarballs.server)
    const paths = found.map((entry) => entry.path)
    expect(paths.filter((path) => !/^package\/(package\.json|README\.md|LICENSE|dist\/[\w/-]+\.js|dist\/assets\/[\w.-]+)$/.test(path))).toEqual([])
    expect(paths.filter((path) => /\.(d\.ts|map)$/.test(path))).toEqual([])
    expect(paths).toEqual(expect.arrayContaining(['package/LICENSE', 'package/README.md', 'package/dist/assets/airlock.css', 'package/dist/assets/admin.js']))
    expect(found.find((entry) => entry.path === 'package/dist/cli/main.js')?.mode).toBe('-rwxr-xr-x')
  })
})

describe('installed into an empty project outside the workspace', () => {
  const installed = (...path: string[]) => join(project!, 'node_modules', ...path)

  it('holds copies of both packages, with the MIT license, and its `airlock` bin is the installed server\'s own', () => {
    expect(realpathSync(project!).startsWith(realpathSync(tmpdir()))).toBe(true)
    expect(realpathSync(project!).startsWith(repoRoot)).toBe(false)
    for (const name of ['express', 'server']) {
      // A tarball is unpacked; a `file:` folder would have been a symlink into the workspace.
      expect(lstatSync(installed('@airlock', name)).isSymbolicLink(), name).toBe(false)
      expect(readFileSync(installed('@airlock', name, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/)
    }
    expect(realpathSync(installed('.bin', 'airlock'))).toBe(realpathSync(installed('@airlock', 'server', 'dist', 'cli', 'main.js')))
    expect(readFileSync(installed('@airlock', 'server', 'dist', 'cli', 'main.js'), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node')
  })

  it("runs the guide's app against `npx @airlock/server start`: signup, back in the app logged in, logout", async () => {
    const serverPort = await freePort()
    const appPort = await freePort()
    const serverUrl = `http://127.0.0.1:${serverPort}`
    const appUrl = `http://127.0.0.1:${appPort}`
    const cli = (...args: string[]) => exec('npx', ['--no', '@airlock/server', ...args, '--public-url', serverUrl], project!, userEnv({ LOG_LEVEL: 'warn' }))

    // As the server's README says: create the realm (data in ./.airlock), tell it where the app lives, start.
    const realm = JSON.parse(await cli('init', '--json')) as { loginrocket_url: string }
    await cli('realm', 'settings', `login_urls=${appUrl}`)
    const server = startNpx(['start', '--port', String(serverPort), '--public-url', serverUrl], project!, userEnv({ LOG_LEVEL: 'warn', AIRLOCK_HOST: '127.0.0.1' }))
    const app = start(['app.js'], userEnv({ PORT: String(appPort), LOGINROCKET_URL: realm.loginrocket_url }), project!)
    let browser: Browser | undefined
    try {
      browser = await launchChromium()
      await server.waitForUrl(`${serverUrl}/healthz`)
      // What serves is the project's copy of the server, not the workspace's.
      expect(nodeScripts(server.child.pid!)).toEqual([realpathSync(installed('@airlock', 'server', 'dist', 'cli', 'main.js'))])
      await app.waitForUrl(`${appUrl}/style.css`)

      const page = await (await browser.newContext({ viewport: desktop })).newPage()
      const shots = new Shots('install', 'signup and logout')
      const nav = page.getByRole('navigation', { name: 'Account' })
      const inApp = (path: string) => (url: URL) => url.origin === appUrl && url.pathname === path && !url.search.includes('token=')
      const onServer = (path: string) => (url: URL) => url.origin === serverUrl && url.pathname === path
      const person = newPerson('Ingrid', 'Installer')
      try {
        await page.goto(`${appUrl}/`)
        await nav.getByRole('link', { name: 'Signup', exact: true }).click()
        await page.waitForURL(onServer('/signup'))
        await fillSignupForm(page, person)
        await shots.take(page, 'signup form on the installed server')
        await page.getByRole('button', { name: 'Create account' }).click()

        await page.waitForURL(inApp('/'))
        await shots.take(page, 'back in the app, logged in')
        expect((await nav.locator('.hi').textContent())?.trim()).toBe('Hi, Ingrid!')
        await page.goto(`${appUrl}/me`)
        expect(await pageText(page)).toContain(person.email)

        await nav.getByRole('link', { name: 'Logout' }).click()
        await page.waitForURL(inApp('/'))
        await shots.take(page, 'logged out')
        expect(await nav.getByRole('link', { name: 'Login' }).isVisible()).toBe(true)
        expect(await nav.locator('.hi').count()).toBe(0)
        // LoginRocket's session ended too: a protected page shows the login form instead of bouncing back.
        await page.goto(`${appUrl}/me`)
        await page.waitForURL(onServer('/login'))
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Log in')
      } catch (error) {
        await shots.take(page, 'failed here').catch(() => {})
        console.error(`server:\n${server.output}\napp:\n${app.output}`)
        throw error
      }
    } finally {
      await browser?.close()
      await app.stop()
      await server.stopGroup()
    }
  })
})
