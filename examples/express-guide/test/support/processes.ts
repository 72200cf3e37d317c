import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const exampleDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const repoRoot = join(exampleDir, '..', '..')
/** The built `airlock` CLI: `npm test` at the root builds it first. */
export const cliPath = join(repoRoot, 'packages/server/dist/cli/main.js')

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
    probe.on('error', reject)
  })
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/** This process's environment without anything that would point a child at other ports, data or databases. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const name of [
    'DATABASE_URL',
    'AIRLOCK_PUBLIC_URL',
    'AIRLOCK_DATA',
    'AIRLOCK_HOST',
    'AIRLOCK_PORT',
    'AIRLOCK_SECRET',
    'AIRLOCK_SMTP_URL',
    'PORT',
    'LOGINROCKET_URL',
    'AUTHROCKET_JWT_KEY',
    'EXAMPLE_DATA',
    'EXAMPLE_PORT',
    'EXAMPLE_URL',
    'NODE_OPTIONS',
  ]) {
    delete env[name]
  }
  return { ...env, ...extra }
}

/** Runs a command to its end; rejects with its output when it fails. */
export function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}${stdout}`))))
  })
}

/** A long-running child process whose output is kept for assertions and failure messages. */
export class Running {
  output = ''
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk) => (this.output += chunk))
    child.stderr?.on('data', (chunk) => (this.output += chunk))
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Waits until `test(output)` holds; fails with the output when the process exits first or time runs out. */
  async waitForOutput(test: (output: string) => boolean, timeoutMs = 45_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!test(this.output)) {
      if (!this.running) throw new Error(`the process exited before it was ready:\n${this.output}`)
      if (Date.now() > deadline) throw new Error(`the process was not ready in time:\n${this.output}`)
      await sleep(100)
    }
  }

  /** Waits until `url` answers with anything but a 5xx. */
  async waitForUrl(url: string, timeoutMs = 45_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (!this.running) throw new Error(`the process exited before ${url} answered:\n${this.output}`)
      if (await answers(url)) return
      if (Date.now() > deadline) throw new Error(`${url} did not answer in time:\n${this.output}`)
      await sleep(100)
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.running) this.child.kill(signal)
    await this.exited
  }
}

export function start(args: string[], env: NodeJS.ProcessEnv, cwd = exampleDir): Running {
  return new Running(spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] }))
}

/** True when something answers at `url` (any status below 500). */
export async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) })
    await response.body?.cancel()
    return response.status < 500
  } catch {
    return false
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** True while a process with this id exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
