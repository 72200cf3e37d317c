#!/usr/bin/env node
// `npm start`: the Airlock server (realm "Demo") and the example app wired to it, until Ctrl-C.
//
//   AIRLOCK_PORT  the server's port (4000)          AIRLOCK_DATA  the data folder (./.airlock)
//   EXAMPLE_PORT  the example app's port (3000)     EXAMPLE_DATA  the example's data folder (AIRLOCK_DATA)
//   AIRLOCK_PUBLIC_URL, EXAMPLE_URL: the URLs that browsers use (http://localhost:<port>)
//
// The server runs from its built CLI (packages/server/dist: `npm start` builds first). The first start creates
// the database and the realm; every start makes sure the example's URL is one of the realm's Login URLs.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const cliPath = join(root, 'packages/server/dist/cli/main.js')
const appPath = join(root, 'examples/express-guide/app.js')
const preload = join(root, 'scripts/die-with-parent.cjs')

const env = process.env
const airlockPort = port('AIRLOCK_PORT', env.AIRLOCK_PORT ?? '4000')
const examplePort = port('EXAMPLE_PORT', env.EXAMPLE_PORT ?? '3000')
const dataDir = resolve(env.AIRLOCK_DATA || join(root, '.airlock'))
const airlockUrl = (env.AIRLOCK_PUBLIC_URL || `http://localhost:${airlockPort}`).replace(/\/+$/, '')
const exampleUrl = (env.EXAMPLE_URL || `http://localhost:${examplePort}`).replace(/\/+$/, '')

function port(name, value) {
  if (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 65535) return value
  process.stderr.write(`npm start: ${name} must be a port number from 1 to 65535 (got ${JSON.stringify(value)})\n`)
  process.exit(1)
}

/** Says what went wrong, stops whatever runs and exits non-zero. */
function fail(message) {
  process.stderr.write(`npm start: ${message}\n`)
  stopAll().then(() => process.exit(1))
}

/** The server's pino lines, shortened for a terminal: "GET /login 200 4ms", or the message and its fields. */
function readable(line) {
  let entry
  try {
    entry = JSON.parse(line)
  } catch {
    return line
  }
  if (entry === null || typeof entry !== 'object' || typeof entry.msg !== 'string') return line
  const { level, time, pid, hostname, msg, ...fields } = entry
  if (msg === 'request' && fields.method) return `${fields.method} ${fields.path} ${fields.status} ${fields.ms}ms`
  const levelName = { 10: 'trace', 20: 'debug', 30: '', 40: 'warn', 50: 'error', 60: 'fatal' }[level] ?? ''
  const rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ''
  return `${levelName ? `${levelName}: ` : ''}${msg}${rest}`
}

function prefixLines(stream, label, out) {
  createInterface({ input: stream }).on('line', (line) => out.write(`${label} ${readable(line)}\n`))
}

/** Runs one `airlock` command to completion and returns what it printed. */
function airlock(args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args, '--data', dataDir, '--public-url', airlockUrl], {
      env: { ...env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolvePromise(stdout)
      else reject(new Error(`airlock ${args.join(' ')} failed: ${stderr.trim() || `exit code ${code}`}`))
    })
  })
}

/** @type {Map<string, import('node:child_process').ChildProcess>} */
const children = new Map()
let stopping = false

/** Starts a long-running child that stops when this process does. */
function startChild(name, args, childEnv) {
  const child = spawn(process.execPath, ['--require', preload, ...args], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Its own process group: a Ctrl-C in the terminal reaches this script only, which stops each child once.
    detached: true,
  })
  child.channel?.unref()
  children.set(name, child)
  const label = `[${name}]`.padEnd(9)
  prefixLines(child.stdout, label, process.stdout)
  prefixLines(child.stderr, label, process.stderr)
  child.on('exit', (code, signal) => {
    children.delete(name)
    if (!stopping) fail(`the ${name} process stopped (${signal ?? `exit code ${code}`}); stopping the rest`)
  })
  return child
}

/** Waits until `url` answers, or fails when the child behind it exits first. */
async function waitFor(url, name) {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (!children.has(name)) return false
    try {
      const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) })
      await response.body?.cancel()
      if (response.status < 500) return true
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150))
  }
  fail(`${name} did not answer at ${url} within 30 seconds`)
  return false
}

async function stopAll() {
  stopping = true
  const running = [...children.values()]
  await Promise.all(
    running.map(
      (child) =>
        new Promise((resolveStop) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolveStop()
          const force = setTimeout(() => child.kill('SIGKILL'), 5000)
          child.once('exit', () => {
            clearTimeout(force)
            resolveStop()
          })
          child.kill('SIGTERM')
        }),
    ),
  )
}

// `on`, not `once`: npm forwards the terminal's Ctrl-C too, and a second signal must not kill this script
// before its children are stopped.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (stopping) return
    process.stdout.write('\nStopping the server and the example app...\n')
    stopAll().then(() => process.exit(0))
  })
}
// However this process ends, its children end with it (die-with-parent.cjs covers SIGKILL).
process.on('exit', () => {
  for (const child of children.values()) child.kill('SIGTERM')
})

async function main() {
  if (!existsSync(cliPath)) throw new Error(`${relative(process.cwd(), cliPath)} is missing: run \`npm run build\` first (npm start does)`)

  // Creates the database, realm and keys on the first start; later starts reuse them.
  const info = JSON.parse(await airlock(['init', '--json']))
  const settings = JSON.parse(await airlock(['realm', 'settings']))
  const loginUrl = new URL(exampleUrl).href
  const loginUrls = settings.login_urls ?? []
  if (!loginUrls.some((url) => new URL(url).href === loginUrl)) {
    await airlock(['realm', 'settings', `login_urls=${[...loginUrls, loginUrl].join(',')}`])
  }

  startChild('airlock', [cliPath, 'start', '--port', airlockPort, '--data', dataDir, '--public-url', airlockUrl], env)
  if (!(await waitFor(`http://localhost:${airlockPort}/healthz`, 'airlock'))) return

  startChild('example', [appPath], {
    ...env,
    PORT: examplePort,
    LOGINROCKET_URL: info.loginrocket_url,
    EXAMPLE_DATA: env.EXAMPLE_DATA || dataDir,
  })
  if (!(await waitFor(`http://localhost:${examplePort}/`, 'example'))) return

  const shownData = relative(process.cwd(), dataDir).startsWith('..') ? dataDir : `./${relative(process.cwd(), dataDir)}`
  process.stdout.write(
    [
      '',
      `  Airlock server   ${airlockUrl}   realm "${settings.name}" (${info.realm_id}), data in ${shownData}`,
      `  Example app      ${exampleUrl}   LOGINROCKET_URL=${info.loginrocket_url}`,
      // init's link was voided by the newer one `airlock start` printed ("First admin:" above).
      `  Admin portal     ${airlockUrl}/admin${info.admin_setup_url ? '   first admin: the one-time "First admin" link above' : ''}`,
      '',
      `  Open ${exampleUrl}`,
      '',
      '  Sign up there to create your first login. Ctrl-C stops both.',
      '',
      '',
    ].join('\n'),
  )
}

main().catch((error) => fail(error instanceof Error ? error.message : String(error)))
