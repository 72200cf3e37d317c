// `npm start` (scripts/start.mjs, which `npm start` runs after the build): the server and the example app
// together, on free ports and a temporary data folder.
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Browser, linkHref, location, postForm, textOf } from './support/browser.js'
import { alive, answers, cleanEnv, cliPath, freePort, removeDir, repoRoot, run, sleep, start, tempDir, type Running } from './support/processes.js'

const startScript = join(repoRoot, 'scripts/start.mjs')

const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

interface Demo {
  process: Running
  airlockUrl: string
  exampleUrl: string
  dataDir: string
  env: NodeJS.ProcessEnv
}

async function demoSetup(): Promise<Omit<Demo, 'process'>> {
  const dataDir = tempDir('airlock-start-test-')
  cleanup.push(() => removeDir(dataDir))
  const airlockPort = await freePort()
  const examplePort = await freePort()
  return {
    airlockUrl: `http://localhost:${airlockPort}`,
    exampleUrl: `http://localhost:${examplePort}`,
    dataDir,
    env: cleanEnv({ AIRLOCK_PORT: String(airlockPort), EXAMPLE_PORT: String(examplePort), AIRLOCK_DATA: dataDir }),
  }
}

/** Runs the start script and waits for its "Open ..." line. */
async function startDemo(setup: Omit<Demo, 'process'>): Promise<Demo> {
  const demo = start([startScript], setup.env, repoRoot)
  cleanup.push(() => demo.stop('SIGKILL'))
  await demo.waitForOutput((output) => output.includes(`Open ${setup.exampleUrl}\n`))
  return { ...setup, process: demo }
}

/** The ids of a process's children. */
function childPids(pid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).trim()
  return out === '' ? [] : out.split(/\s+/).map(Number)
}

async function gone(pids: number[], timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (pids.some(alive)) {
    if (Date.now() > deadline) return false
    await sleep(50)
  }
  return true
}

function realmSettings(dataDir: string): Promise<{ name: string; login_urls: string[] }> {
  return run([cliPath, 'realm', 'settings', '--data', dataDir], cleanEnv({ LOG_LEVEL: 'silent' })).then((out) => JSON.parse(out))
}

function realmIdIn(output: string): string {
  const id = /realm "Demo" \((rl_[A-Za-z0-9_-]+)\)/.exec(output)?.[1]
  if (!id) throw new Error(`no realm id in:\n${output}`)
  return id
}

describe('npm start', () => {
  it('runs the server and the example wired together, stops both on Ctrl-C, and reuses the data next time', async () => {
    const setup = await demoSetup()
    const first = await startDemo(setup)
    expect(first.process.output).toContain(`Airlock server   ${setup.airlockUrl}`)
    expect(first.process.output).toContain(`Example app      ${setup.exampleUrl}`)
    expect(first.process.output).toContain(`Admin portal     ${setup.airlockUrl}/admin   first admin: the one-time "First admin" link above`)
    // The link the server printed is the live one (init's, made before it, is void).
    const setupLink = /First admin: (\S+)/.exec(first.process.output)?.[1]
    expect(setupLink).toMatch(new RegExp(`^${setup.airlockUrl}/admin/setup\\?token=`))
    const setupPage = await fetch(setupLink!)
    expect(setupPage.status).toBe(200)
    expect(await setupPage.text()).toContain('Create admin')

    // Both answer, and the app links to the server.
    expect((await fetch(`${setup.airlockUrl}/healthz`)).status).toBe(200)
    const browser = new Browser()
    const home = await browser.get(`${setup.exampleUrl}/`)
    expect(home.status).toBe(200)
    expect(linkHref(browser.html, 'Signup')).toBe(`${setup.airlockUrl}/signup?nonce=${browser.cookies.get('arNonce')}`)

    // The realm "Demo" sends users back to the example.
    const settings = await realmSettings(setup.dataDir)
    expect(settings.name).toBe('Demo')
    expect(settings.login_urls).toEqual([`${setup.exampleUrl}/`])
    expect(readdirSync(setup.dataDir)).toContain('airlock.db')

    // A new user can sign up at once.
    await browser.get(linkHref(browser.html, 'Signup'))
    const form = postForm(browser.html)
    const back = await browser.post(`${setup.airlockUrl}/signup`, {
      ...form.fields,
      first_name: 'Nora',
      last_name: 'New',
      email: 'nora@example.com',
      password: 'correct horse battery staple',
    })
    expect(location(back)).toMatch(new RegExp(`^${setup.exampleUrl}/\\?token=`))
    await browser.follow(back, setup.airlockUrl)
    expect(textOf(browser.html)).toContain('Hi, Nora!')

    // Ctrl-C stops both children, and the script exits cleanly.
    const realmId = realmIdIn(first.process.output)
    const children = childPids(first.process.child.pid!)
    expect(children).toHaveLength(2)
    await first.process.stop('SIGINT')
    expect(first.process.child.exitCode).toBe(0)
    expect(await gone(children)).toBe(true)
    expect(await answers(`${setup.airlockUrl}/healthz`)).toBe(false)
    expect(await answers(`${setup.exampleUrl}/`)).toBe(false)

    // A second start finds the same realm, users and Login URLs (no duplicate entry).
    const second = await startDemo(setup)
    expect(realmIdIn(second.process.output)).toBe(realmId)
    expect((await realmSettings(setup.dataDir)).login_urls).toEqual([`${setup.exampleUrl}/`])
    const backToApp = encodeURIComponent(`${setup.exampleUrl}/`)
    // The browser's LoginRocket session survived the restart: the login page sends it straight back.
    const again = await browser.get(`${setup.airlockUrl}/login?redirect_uri=${backToApp}`)
    expect(location(again)).toMatch(new RegExp(`^${setup.exampleUrl}/\\?token=`))
    // And the user logs in with their password from another browser.
    const other = new Browser()
    await other.get(`${setup.airlockUrl}/login?redirect_uri=${backToApp}`)
    const loggedIn = await other.post(`${setup.airlockUrl}/login?redirect_uri=${backToApp}`, {
      ...postForm(other.html).fields,
      email: 'nora@example.com',
      password: 'correct horse battery staple',
    })
    expect(location(loggedIn)).toMatch(new RegExp(`^${setup.exampleUrl}/\\?token=`))
    await second.process.stop('SIGINT')
    expect(second.process.child.exitCode).toBe(0)
  })

  it('keeps Login URLs the realm already had, adding the example once', async () => {
    const setup = await demoSetup()
    await run([cliPath, 'realm', 'settings', '--data', setup.dataDir, 'login_urls=https://app.example.com'], cleanEnv({ LOG_LEVEL: 'silent' }))
    const demo = await startDemo(setup)
    await demo.process.stop('SIGINT')
    expect((await realmSettings(setup.dataDir)).login_urls).toEqual(['https://app.example.com/', `${setup.exampleUrl}/`])
  })

  it('leaves nothing running when it is killed outright (SIGKILL)', async () => {
    const demo = await startDemo(await demoSetup())
    const children = childPids(demo.process.child.pid!)
    expect(children).toHaveLength(2)
    await demo.process.stop('SIGKILL')
    expect(await gone(children)).toBe(true)
    expect(await answers(`${demo.airlockUrl}/healthz`)).toBe(false)
  })

  it('stops with a message, leaving nothing running, when the example port is taken', async () => {
    const setup = await demoSetup()
    const blocker: Server = createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => blocker.listen(Number(new URL(setup.exampleUrl).port), resolve))
    cleanup.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())))

    const demo = start([startScript], setup.env, repoRoot)
    cleanup.push(() => demo.stop('SIGKILL'))
    const { code } = await demo.exited
    expect(code).toBe(1)
    expect(demo.output).toMatch(/the example process stopped/)
    expect(demo.output).toMatch(/EADDRINUSE|can't listen on port/)
    expect(await answers(`${setup.airlockUrl}/healthz`)).toBe(false)
  })

  it('refuses a port setting that is not a port', async () => {
    const setup = await demoSetup()
    const demo = start([startScript], { ...setup.env, AIRLOCK_PORT: 'http' }, repoRoot)
    const { code } = await demo.exited
    expect(code).toBe(1)
    expect(demo.output).toContain('AIRLOCK_PORT must be a port number')
  })
})
