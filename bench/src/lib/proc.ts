/** Child processes for the benchmarks: forking with IPC, pinning to a core, waiting for messages. */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { cpus } from 'node:os'

let tasksetChecked: boolean | undefined

/** True where `taskset` (util-linux) can pin processes to cores, and the machine has at least two. */
export function canPin(): boolean {
  if (tasksetChecked === undefined) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
      tasksetChecked = cpus().length >= 2
    } catch {
      tasksetChecked = false
    }
  }
  return tasksetChecked
}

/**
 * Spawns `command args` on the given core (`taskset -c CORE`, which execs it: the child's pid is the
 * command's), or unpinned when the core is null or pinning is not possible here. Threads the child starts
 * later (libuv's pool, V8's helpers) inherit the affinity, so the whole process stays on that core.
 */
export function spawnOn(core: number | null, command: string, args: string[], options: SpawnOptions): ChildProcess {
  if (core === null || !canPin()) return spawn(command, args, options)
  return spawn('taskset', ['-c', String(core), command, ...args], options)
}

/** Runs a Node script (through tsx, like this process) as a child with an IPC channel, on a core if given. */
export function forkOn(core: number | null, script: string, env: Record<string, string | undefined>, execArgv: string[] = []): ChildProcess {
  return spawnOn(core, process.execPath, [...process.execArgv, ...execArgv, script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
}

/** The first message of a child, or an error when it exits before sending one. */
export async function firstMessage<T>(proc: ChildProcess, what: string): Promise<T> {
  const [message] = (await Promise.race([
    once(proc, 'message'),
    once(proc, 'exit').then(([code]) => {
      throw new Error(`${what} exited (code ${code}) before it was ready`)
    }),
  ])) as [T]
  return message
}

/** Sends a message and waits for the answer whose `id` matches. */
export async function request<Answer extends { id?: number }, Message extends { id: number } = { id: number }>(proc: ChildProcess, message: Message): Promise<Answer> {
  const answer = new Promise<Answer>((resolve, reject) => {
    const onMessage = (m: Answer) => {
      if (m.id !== message.id) return
      proc.off('message', onMessage)
      proc.off('exit', onExit)
      resolve(m)
    }
    const onExit = (code: number | null) => {
      proc.off('message', onMessage)
      reject(new Error(`child ${proc.pid} exited (code ${code}) before it answered`))
    }
    proc.on('message', onMessage)
    proc.once('exit', onExit)
  })
  proc.send(message)
  return answer
}

/** A loopback TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Ends a child we started (SIGTERM, then SIGKILL after `graceMs`) and waits until it has exited. */
export async function stopChild(proc: ChildProcess, graceMs = 5000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return
  const exited = once(proc, 'exit')
  proc.kill('SIGTERM')
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}
