// npm and npx as a user runs them in their own project: no trace of the workspace that runs this test.
import { spawn } from 'node:child_process'
import { delimiter } from 'node:path'
import { cleanEnv, Running, sleep } from '../../../examples/express-guide/test/support/processes.js'

/**
 * This process's environment less what `npm test` adds (npm_* settings such as the workspace, and every
 * node_modules/.bin on PATH: the workspace's has an `airlock` of its own) and what points at ports or data.
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = cleanEnv()
  for (const name of Object.keys(env)) if (/^npm_/i.test(name) || name === 'INIT_CWD') delete env[name]
  env.PATH = (env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !/[\\/]node_modules[\\/]\.bin$/.test(dir))
    .join(delimiter)
  return { ...env, ...extra }
}

/** Runs `command args` in `cwd` to its end; rejects with its output when it fails. */
export function exec(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = userEnv()): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stderr}${stdout}`))))
  })
}

export type RunningGroup = Running & { stopGroup(): Promise<void> }

/**
 * `npx --no @airlock/server <args>` in `cwd`, left running. `--no`: npx never fetches a package that isn't
 * installed there. npx runs the bin through a shell, so all of it gets a process group of its own, which
 * `stopGroup` ends.
 */
export function startNpx(args: string[], cwd: string, env: NodeJS.ProcessEnv): RunningGroup {
  const child = spawn('npx', ['--no', '@airlock/server', ...args], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  const running = new Running(child)
  return Object.assign(running, {
    async stopGroup() {
      if (child.pid === undefined) return
      const group = -child.pid
      if (groupAlive(group)) process.kill(group, 'SIGTERM')
      // The server finishes its requests and closes its database first (AIRLOCK_SHUTDOWN_SECONDS, 10 s).
      for (const deadline = Date.now() + 15_000; groupAlive(group) && Date.now() < deadline; ) await sleep(100)
      if (groupAlive(group)) process.kill(group, 'SIGKILL')
      await running.exited
    },
  })
}

/** True while any process of the group is left. */
function groupAlive(group: number): boolean {
  try {
    process.kill(group, 0)
    return true
  } catch {
    return false
  }
}
