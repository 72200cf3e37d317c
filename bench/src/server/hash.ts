/**
 * The raw argon2id baseline, a child process of its own (pinned to the server's core by the orchestrator):
 * the server's own `hashPassword` (packages/server/dist/services/passwords.js: @node-rs/argon2 with
 * ARGON2_OPTIONS) back to back, nothing else. libuv's pool size comes from UV_THREADPOOL_SIZE, set by the
 * orchestrator.
 */
import { loadPasswords } from './dist.js'
import type { FromHash, HashRun, ToHash } from './protocol.js'

if (!process.send) throw new Error('hash.ts is started by the benchmark (needs an IPC channel)')
const send = (message: FromHash) => process.send!(message)
const passwords = await loadPasswords()
const stored = await passwords.hashPassword('bench password 0')

async function run({ id, op, durationSec, inFlight }: HashRun): Promise<void> {
  const started = performance.now()
  const deadline = started + durationSec * 1000
  const cpuBefore = process.cpuUsage()
  let completed = 0
  let cpuUs = 0
  // Read at the deadline, like the server's CPU around an autocannon run: the work still in flight then is not counted.
  const timer = setTimeout(() => {
    const { user, system } = process.cpuUsage(cpuBefore)
    cpuUs = user + system
  }, durationSec * 1000)
  let n = 0
  const loop = async () => {
    while (performance.now() < deadline) {
      const password = `bench password ${n++}`
      if (op === 'hash') await passwords.hashPassword(password)
      else if (!(await passwords.checkPassword(stored, 'bench password 0'))) throw new Error('verify failed')
      if (performance.now() <= deadline) completed++
    }
  }
  await Promise.all(Array.from({ length: inFlight }, loop))
  clearTimeout(timer)
  if (cpuUs === 0) {
    const { user, system } = process.cpuUsage(cpuBefore)
    cpuUs = user + system
  }
  send({ type: 'result', id, rate: completed / durationSec, completed, elapsedSec: durationSec, cpuUs })
}

let queue = Promise.resolve()
process.on('message', (message: ToHash) => {
  if (message.type === 'exit') process.exit(0)
  else queue = queue.then(() => run(message))
})
process.on('disconnect', () => process.exit(0))
send({ type: 'ready', options: passwords.ARGON2_OPTIONS, poolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)', module: passwords.module })
