// The production set-up on one machine: a throwaway CA, nginx terminating TLS in front of two Airlock processes
// (the built CLI, `airlock start`) on one fresh PostgreSQL database, and the guide's app behind nginx too.
//
// Host names: the login server is https://localhost:<port> and the app https://127.0.0.1:<port>. Two
// different hosts for the browser's cookies (so `__Host-` cookies and the app's cookie are kept apart, as on
// login.example.com and app.example.com), and both resolve in Node without any help: the app reaches the login
// server at the very URL browsers use (its JWKS and renewals go through nginx too), which invented names
// would not allow without a resolver of our own. Chromium maps localhost to 127.0.0.1 (nginx listens on IPv4).
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { cleanEnv, cliPath, freePort, removeDir, repoRoot, run, Running, sleep, tempDir } from '../../../examples/express-guide/test/support/processes.js'
import { freshPostgres } from '../../../packages/server/test/support/dialects.js'
import { httpsRequest } from './https-client.js'
import { errorLog, nginxConfig, startNginx, stopNginx } from './nginx.js'
import { makeCertificates, type Certificates } from './tls.js'
import { Undo } from '../../e2e/support/undo.js'

/** Makes each Node child stop when this test process goes away, even by SIGKILL (scripts/die-with-parent.cjs). */
const dieWithParent = join(repoRoot, 'scripts/die-with-parent.cjs')
const appBehindProxy = join(import.meta.dirname, 'app-behind-proxy.cjs')

export interface Deployment {
  /** AIRLOCK_PUBLIC_URL: nginx in front of both Airlock processes, e.g. https://localhost:41234 */
  loginUrl: string
  /** The example app through nginx, e.g. https://127.0.0.1:41235 */
  appUrl: string
  certs: Certificates
  /** The two `airlock start` processes, and the port each listens on (what nginx's X-Upstream names). */
  airlock: { process: Running; port: number }[]
  app: Running
  /** What every process printed, and nginx's error log: for a failing test's message. */
  output(): string
  close(): Promise<void>
}

/** A Node child that stops with this process; its output is kept. */
function startNode(args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, ['--require', dieWithParent, ...args], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
  child.channel?.unref()
  return new Running(child)
}

/** SIGTERM (Airlock's graceful stop), then SIGKILL after 10 s. */
async function stop(process: Running): Promise<void> {
  if (!process.running) return
  process.child.kill('SIGTERM')
  if (!(await Promise.race([process.exited.then(() => true), sleep(10_000).then(() => false)]))) await process.stop('SIGKILL')
}

/** Starts everything, or stops whatever had started and throws. `close()` stops it all, each step even if one fails. */
export async function startDeployment(): Promise<Deployment> {
  const undo = new Undo()
  const closeAll = undo.run
  const running: { name: string; process: Running }[] = []
  const dir = tempDir('airlock-deploy-')
  const output = () =>
    [...running.map(({ name, process }) => `--- ${name}\n${process.output}`), `--- nginx error.log\n${errorLog(join(dir, 'nginx'))}`].join('\n')

  try {
    undo.push(() => removeDir(dir))
    for (const sub of ['tls', 'nginx', 'app', 'airlock-1', 'airlock-2']) mkdirSync(join(dir, sub))
    const certs = makeCertificates(join(dir, 'tls'), { dns: ['localhost'], ip: ['127.0.0.1'] })
    const database = await freshPostgres()
    undo.push(() => database.drop())

    const [loginPort, appPublicPort, appPort, ...airlockPorts] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()])
    const loginUrl = `https://localhost:${loginPort}`
    const appUrl = `https://127.0.0.1:${appPublicPort}`
    // What every Airlock process is given: the same database and master key, the URL browsers use.
    const airlockEnv = cleanEnv({
      DATABASE_URL: database.url,
      AIRLOCK_SECRET: randomBytes(32).toString('base64url'),
      AIRLOCK_PUBLIC_URL: loginUrl,
      AIRLOCK_TRUST_PROXY: 'true',
      AIRLOCK_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    })
    const init = JSON.parse(await run([cliPath, 'init', '--json', '--data', join(dir, 'airlock-1')], airlockEnv)) as { loginrocket_url: string }
    // A one-minute token: the journey sees the app renew it (in its last 6 s) without a long wait.
    await run([cliPath, 'realm', 'settings', '--data', join(dir, 'airlock-1'), `login_urls=${appUrl}`, 'jwt_minutes=1'], airlockEnv)

    const airlock = airlockPorts.map((port, i) => {
      const process = startNode([cliPath, 'start', '--port', String(port), '--data', join(dir, `airlock-${i + 1}`)], airlockEnv)
      running.push({ name: `airlock ${i + 1} (port ${port})`, process })
      undo.push(() => stop(process))
      return { process, port: port! }
    })
    await Promise.all(airlock.map(({ process, port }) => process.waitForUrl(`http://127.0.0.1:${port}/healthz`)))

    const app = startNode([appBehindProxy], {
      ...cleanEnv({ PORT: String(appPort), LOGINROCKET_URL: init.loginrocket_url, EXAMPLE_DATA: join(dir, 'app') }),
      // The app calls the login server over https (JWKS, renewals): it must trust the test's CA.
      NODE_EXTRA_CA_CERTS: certs.caFile,
    })
    running.push({ name: 'example app', process: app })
    undo.push(() => stop(app))
    await app.waitForUrl(`http://127.0.0.1:${appPort}/`)

    const config = nginxConfig({
      TEMP: join(dir, 'nginx'),
      CERT: certs.certFile,
      KEY: certs.keyFile,
      LOGIN_PORT: String(loginPort),
      APP_PUBLIC_PORT: String(appPublicPort),
      APP_PORT: String(appPort),
      AIRLOCK_PORT_1: String(airlockPorts[0]),
      AIRLOCK_PORT_2: String(airlockPorts[1]),
    })
    const healthy = async () => {
      try {
        return (await httpsRequest(`${loginUrl}/healthz`, { ca: certs.caPem, localAddress: '127.0.0.1' })).status === 200
      } catch {
        return false
      }
    }
    const nginx = await startNginx(join(dir, 'nginx'), config, healthy)
    running.push({ name: 'nginx', process: nginx })
    undo.push(() => stopNginx(nginx))

    return { loginUrl, appUrl, certs, airlock, app, output, close: closeAll }
  } catch (error) {
    const shown = output()
    await closeAll().catch(() => {})
    throw new Error(`${(error as Error).message}\n${shown}`)
  }
}
