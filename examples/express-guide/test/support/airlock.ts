import { cleanEnv, cliPath, exampleDir, freePort, removeDir, run, start, tempDir, type Running } from './processes.js'

export interface Airlock {
  /** The LoginRocket URL, e.g. http://127.0.0.1:41234 */
  url: string
  dataDir: string
  realmId: string
  /** `airlock realm settings KEY=VALUE ...`; returns the realm's settings. */
  settings(...assignments: string[]): Promise<Record<string, unknown>>
  process: Running
  close(): Promise<void>
}

/** A real Airlock server: the built CLI's `airlock start` on a free port and a fresh data folder. */
export async function startAirlock({ loginUrls = [] }: { loginUrls?: string[] } = {}): Promise<Airlock> {
  const dataDir = tempDir('airlock-example-test-')
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const env = cleanEnv({ LOG_LEVEL: 'warn' })
  const cli = (...args: string[]) => run([cliPath, ...args, '--data', dataDir, '--public-url', url], env)

  const info = JSON.parse(await cli('init', '--json')) as { realm_id: string; loginrocket_url: string }
  if (loginUrls.length > 0) await cli('realm', 'settings', `login_urls=${loginUrls.join(',')}`)
  const server = start([cliPath, 'start', '--port', String(port), '--data', dataDir, '--public-url', url], { ...env, AIRLOCK_HOST: '127.0.0.1' })
  await server.waitForUrl(`${url}/healthz`)
  return {
    url: info.loginrocket_url,
    dataDir,
    realmId: info.realm_id,
    settings: async (...assignments) => JSON.parse(await cli('realm', 'settings', ...assignments)) as Record<string, unknown>,
    process: server,
    async close() {
      await server.stop()
      removeDir(dataDir)
    },
  }
}

export interface ExampleApp {
  url: string
  port: number
  dataDir: string
  process: Running
  close(): Promise<void>
}

/**
 * The example app as a user runs it: `node app.js` (or another entry file) with PORT and
 * LOGINROCKET_URL. Pass `port` when the realm must know the app's URL before it starts.
 */
export async function startExample({
  loginrocketUrl,
  port,
  script = 'app.js',
  env = {},
}: {
  loginrocketUrl?: string
  port?: number
  script?: string
  env?: Record<string, string>
}): Promise<ExampleApp> {
  const appPort = port ?? (await freePort())
  const dataDir = tempDir('airlock-example-data-')
  // `script` is relative to the example's folder, where it runs.
  const app = start([script], cleanEnv({ PORT: String(appPort), EXAMPLE_DATA: dataDir, ...(loginrocketUrl ? { LOGINROCKET_URL: loginrocketUrl } : {}), ...env }))
  const url = `http://127.0.0.1:${appPort}`
  await app.waitForUrl(`${url}/style.css`)
  return {
    url,
    port: appPort,
    dataDir,
    process: app,
    async close() {
      await app.stop()
      removeDir(dataDir)
    },
  }
}

export { exampleDir }
