// The system under test, as a user runs it: `scripts/start.mjs` (what `npm start` runs) starts the real Airlock
// server from its built CLI and the example app (`node examples/express-guide/app.js`), here on free ports,
// a temporary data folder, a real SMTP server for the mail, and SQLite or a fresh PostgreSQL database.
import { execFileSync, spawn } from 'node:child_process'
import { join } from 'node:path'
import { alive, cleanEnv, cliPath, freePort, removeDir, repoRoot, run, sleep, tempDir, Running } from '../../../examples/express-guide/test/support/processes.js'
import { freshPostgres } from '../../../packages/server/test/support/dialects.js'
import { MailCatcher, type CaughtMail } from '../../../packages/server/test/support/mail-catcher.js'
import type { Browser } from 'playwright-core'
import { launchChromium } from './browser.js'
import { Undo } from './undo.js'

export type Dialect = 'sqlite' | 'postgres'

const startScript = join(repoRoot, 'scripts/start.mjs')
/** Makes start.mjs stop (and stop its children) if this test process goes away without closing it. */
const dieWithParent = join(repoRoot, 'scripts/die-with-parent.cjs')

export interface Demo {
  dialect: Dialect
  /** The LoginRocket URL (the Airlock server), e.g. http://127.0.0.1:41234 */
  airlockUrl: string
  /** The example app, e.g. http://127.0.0.1:41235 */
  exampleUrl: string
  /** The server's data folder (`--data` for the CLI; SQLite's file is in it). */
  dataDir: string
  /** Every mail the server sent. */
  mail: MailCatcher
  /** start.mjs, with the output of both children. */
  process: Running
  /** `airlock realm settings KEY=VALUE ...` on the running server's data. */
  settings(...assignments: string[]): Promise<Record<string, unknown>>
  /** Waits for a mail to `address` whose text matches `test` (earlier mails, such as the signup's, are skipped). */
  waitForMail(address: string, test: RegExp, timeoutMs?: number): Promise<CaughtMail>
  /** Stops both processes, the SMTP server, and removes the data (and the PostgreSQL database). */
  close(): Promise<void>
}

/**
 * Starts the demo and waits until both processes answer. Whatever was started is stopped again when starting
 * fails part-way, so a failed `beforeAll` leaves nothing behind either.
 */
export async function startDemo(dialect: Dialect): Promise<Demo> {
  const undo = new Undo()
  const closeAll = undo.run

  try {
    const mail = await MailCatcher.start()
    undo.push(() => mail.close())
    const dataDir = tempDir('airlock-e2e-')
    undo.push(() => removeDir(dataDir))
    const database = dialect === 'postgres' ? await freshPostgres() : null
    if (database) undo.push(() => database.drop())

    const airlockPort = await freePort()
    const examplePort = await freePort()
    const airlockUrl = `http://127.0.0.1:${airlockPort}`
    const exampleUrl = `http://127.0.0.1:${examplePort}`
    const env = cleanEnv({
      AIRLOCK_PORT: String(airlockPort),
      EXAMPLE_PORT: String(examplePort),
      AIRLOCK_DATA: dataDir,
      AIRLOCK_PUBLIC_URL: airlockUrl,
      EXAMPLE_URL: exampleUrl,
      AIRLOCK_HOST: '127.0.0.1',
      AIRLOCK_SMTP_URL: mail.url,
      LOG_LEVEL: 'warn',
      ...(database ? { DATABASE_URL: database.url } : {}),
    })

    const child = spawn(process.execPath, ['--require', dieWithParent, startScript], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    })
    child.channel?.unref()
    const demo = new Running(child)
    let children: number[] = []
    undo.push(() => stopDemo(demo, children))
    await demo.waitForOutput((output) => output.includes(`Open ${exampleUrl}\n`), 60_000)
    children = childPids(child.pid)
    if (children.length !== 2) throw new Error(`start.mjs should run 2 processes, runs ${children.length}:\n${demo.output}`)

    const cliEnv = cleanEnv({ LOG_LEVEL: 'silent', ...(database ? { DATABASE_URL: database.url } : {}) })
    return {
      dialect,
      airlockUrl,
      exampleUrl,
      dataDir,
      mail,
      process: demo,
      settings: async (...assignments) =>
        JSON.parse(await run([cliPath, 'realm', 'settings', '--data', dataDir, '--public-url', airlockUrl, ...assignments], cliEnv)) as Record<string, unknown>,
      async waitForMail(address, test, timeoutMs = 10_000) {
        const deadline = Date.now() + timeoutMs
        for (let count = 1; ; count++) {
          const found = await mail.waitFor(address, count, Math.max(1, deadline - Date.now()))
          if (test.test(found.text)) return found
        }
      },
      close: closeAll,
    }
  } catch (error) {
    await closeAll().catch(() => {})
    throw error
  }
}

/**
 * Ctrl-C's way out first (SIGTERM: start.mjs stops both children and exits); SIGKILL when that takes too long,
 * which the children notice through die-with-parent.cjs. Returns once start.mjs has exited and its children too.
 */
async function stopDemo(demo: Running, children: number[]): Promise<void> {
  if (demo.running) demo.child.kill('SIGTERM')
  const stopped = await Promise.race([demo.exited.then(() => true), sleep(10_000).then(() => false)])
  if (!stopped) {
    demo.child.kill('SIGKILL')
    await demo.exited
  }
  // The children get the same time to go; any still there are ended by id.
  const deadline = Date.now() + 10_000
  while (children.some(alive) && Date.now() < deadline) await sleep(50)
  for (const pid of children.filter(alive)) process.kill(pid, 'SIGKILL')
}

/** The ids of the processes that start.mjs started (the server and the example app). */
function childPids(pid: number | undefined): number[] {
  if (pid === undefined) return []
  try {
    const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).trim()
    return out === '' ? [] : out.split(/\s+/).map(Number)
  } catch {
    return [] // ps found none (it exits 1 then)
  }
}

/** The demo and a Chromium, started together; when either fails, the other is stopped and the failure thrown. */
export async function startDemoAndBrowser(dialect: Dialect): Promise<{ demo: Demo; browser: Browser }> {
  const [started, launched] = await Promise.allSettled([startDemo(dialect), launchChromium()])
  if (started.status === 'fulfilled' && launched.status === 'fulfilled') return { demo: started.value, browser: launched.value }
  await Promise.allSettled([started.status === 'fulfilled' && started.value.close(), launched.status === 'fulfilled' && launched.value.close()])
  throw started.status === 'rejected' ? started.reason : (launched as PromiseRejectedResult).reason
}

/** Closes the browser and the demo, each even when the other fails; then throws the first failure. */
export async function closeDemoAndBrowser(demo: Demo | undefined, browser: Browser | undefined): Promise<void> {
  const outcomes = await Promise.allSettled([browser?.close(), demo?.close()])
  for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason
}
