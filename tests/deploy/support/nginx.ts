// Debian's nginx, run by the test as its own foreground process: its own prefix, configuration, pid and log
// files in a temporary folder, on loopback ports. Never the system's service.
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { Running, sleep } from '../../../examples/express-guide/test/support/processes.js'

export const nginxPath = process.env.NGINX_PATH || '/usr/sbin/nginx'
/** The configuration the tests run, and docs/deploy.md shows. */
export const nginxTemplate = join(import.meta.dirname, '..', 'nginx', 'airlock.conf')

/** `nginx/airlock.conf` with each `{{NAME}}` replaced; a name left without a value is an error. */
export function nginxConfig(values: Record<string, string>): string {
  return readFileSync(nginxTemplate, 'utf8').replace(/\{\{([A-Z_0-9]+)\}\}/g, (_match, name: string) => {
    const value = values[name]
    if (value === undefined) throw new Error(`nginx/airlock.conf needs a value for {{${name}}}`)
    return value
  })
}

/**
 * Starts nginx on the configuration, in `dir` (its prefix, where the pid and logs go), in the foreground, and
 * waits until it accepts TLS on `port`. As root its workers run as root too (`user`), so that they can write
 * their temporary files in the test's private folder; without root, nginx ignores the directive.
 */
export async function startNginx(dir: string, config: string, ready: () => Promise<boolean>): Promise<Running> {
  const file = join(dir, 'nginx.conf')
  writeFileSync(file, config)
  const nginx = new Running(
    spawn(nginxPath, ['-p', dir, '-e', join(dir, 'error.log'), '-c', file, '-g', `daemon off; user ${userInfo().username};`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own, so that a stop that must force it ends the workers too.
      detached: true,
    }),
  )
  const deadline = Date.now() + 15_000
  while (!(await ready())) {
    if (!nginx.running) throw new Error(`nginx exited:\n${nginx.output}${errorLog(dir)}`)
    if (Date.now() > deadline) throw new Error(`nginx did not answer in time:\n${nginx.output}${errorLog(dir)}`)
    await sleep(100)
  }
  return nginx
}

export function errorLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'error.log'), 'utf8')
  } catch {
    return ''
  }
}

/** SIGQUIT: nginx's graceful stop (it finishes open requests); SIGKILL if that takes more than 5 s. */
export async function stopNginx(nginx: Running): Promise<void> {
  if (!nginx.running) return
  nginx.child.kill('SIGQUIT')
  const stopped = await Promise.race([nginx.exited.then(() => true), sleep(5000).then(() => false)])
  if (!stopped) {
    process.kill(-nginx.child.pid!, 'SIGKILL')
    await nginx.exited
  }
}
