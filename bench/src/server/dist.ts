/**
 * The built server (`packages/server/dist`, what `npm run build` makes and `airlock start` runs), loaded
 * by path: the package exports no entry for its internals. The shapes below are the few this benchmark
 * uses, written out here so that type-checking the benchmark never depends on a build.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const serverDir = fileURLToPath(new URL('../../../packages/server/', import.meta.url))
/**
 * packages/server/dist, or BENCH_SERVER_DIST: another build of the server to measure (e.g. a candidate
 * change, built and copied under bench/.cache/ so that it still finds the workspace's node_modules).
 */
export const distDir = process.env.BENCH_SERVER_DIST ? `${resolve(process.env.BENCH_SERVER_DIST)}/` : `${serverDir}dist/`
/** The CLI that `npx @airlock/server` runs. */
export const cliPath = `${distDir}cli/main.js`

export interface Realm {
  id: string
  settings: { login_urls: string[]; [name: string]: unknown }
}
export interface User {
  id: string
  email: string
}
export interface LoginSession {
  id: string
}
export interface Services {
  clock(): Date
  realms: {
    byId(id: string): Promise<Realm | null>
    updateSettings(id: string, settings: Realm['settings'], now: Date): Promise<void>
  }
  signups: {
    signup(
      realm: Realm,
      input: { email: string; password: string; firstName: string; lastName: string; username: string },
      now: Date,
    ): Promise<{ ok: true; value: { user: User } } | { ok: false; errors: Record<string, string> }>
  }
  sessions: {
    start(realm: Realm, userId: string, meta: { userAgent: string | null; ip: string | null }, now: Date): Promise<{ session: LoginSession; secret: string }>
  }
  tokens: {
    issue(realm: Realm, loginrocketUrl: string, user: User, session: LoginSession, now: Date): Promise<string>
  }
}
export interface Booted {
  services: Services
  realm: Realm
  close(): Promise<void>
}

export interface ServerModules {
  boot(config: unknown): Promise<Booted>
  loadConfig(sources: { port?: string; data?: string; publicUrl?: string; env: NodeJS.ProcessEnv }): unknown
  applyAssignments(current: Realm['settings'], assignments: string[]): Realm['settings']
  /** The argon2id parameters the server hashes and verifies passwords with. */
  ARGON2_OPTIONS: Record<string, number>
  hashPassword(password: string): Promise<string>
  checkPassword(storedHash: string | null, password: string): Promise<boolean>
}

/** Fails with a useful message when the server has not been built. */
export function assertBuilt(): void {
  if (!existsSync(cliPath)) {
    throw new Error(`${cliPath} is missing: build first (npm run build at the repository root, or use npm run bench:login / bench:server, which build)`)
  }
}

const load = async (file: string): Promise<Record<string, unknown>> => (await import(pathToFileURL(`${distDir}${file}`).href)) as Record<string, unknown>

/** Just the password module (argon2id through @node-rs/argon2, as the server loads it). */
export async function loadPasswords(): Promise<Pick<ServerModules, 'ARGON2_OPTIONS' | 'hashPassword' | 'checkPassword'> & { module: string }> {
  assertBuilt()
  const passwords = await load('services/passwords.js')
  return {
    ARGON2_OPTIONS: passwords.ARGON2_OPTIONS as ServerModules['ARGON2_OPTIONS'],
    hashPassword: passwords.hashPassword as ServerModules['hashPassword'],
    checkPassword: passwords.checkPassword as ServerModules['checkPassword'],
    module: `${distDir}services/passwords.js`,
  }
}

/** The server's id maker (`usr_` and 128 random bits), so rows written by hand look like its own. */
export async function loadNewId(): Promise<(prefix: 'usr') => string> {
  assertBuilt()
  return (await load('crypto/ids.js')).newId as (prefix: 'usr') => string
}

export async function loadServer(): Promise<ServerModules> {
  assertBuilt()
  const [bootstrap, config, settings, passwords] = await Promise.all([
    load('bootstrap.js'),
    load('config/load.js'),
    load('services/realm-settings.js'),
    load('services/passwords.js'),
  ])
  return {
    boot: bootstrap.boot as ServerModules['boot'],
    loadConfig: config.loadConfig as ServerModules['loadConfig'],
    applyAssignments: settings.applyAssignments as ServerModules['applyAssignments'],
    ARGON2_OPTIONS: passwords.ARGON2_OPTIONS as ServerModules['ARGON2_OPTIONS'],
    hashPassword: passwords.hashPassword as ServerModules['hashPassword'],
    checkPassword: passwords.checkPassword as ServerModules['checkPassword'],
  }
}
