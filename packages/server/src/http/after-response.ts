import type { HttpBindings } from '@hono/node-server'
import type { Context } from 'hono'
import type { Services } from '../services/index.js'
import type { AppEnv } from './env.js'

/**
 * Runs `job` once the response has gone out (or the client has gone), never inside it: what the job does (a
 * database write, a mail) then takes no time the client can measure, so the answer can't tell whether there
 * was anything to do. Failures are logged, never thrown. Without a Node response to wait for (a request made
 * in-process), it runs on the next turn of the event loop.
 */
export function afterResponse(c: Context<AppEnv>, services: Pick<Services, 'logger'>, what: string, job: () => Promise<void>): void {
  const run = () => {
    job().catch((error: unknown) => services.logger.error({ err: error }, `${what} failed after the response`))
  }
  const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing
  if (outgoing && !outgoing.writableFinished) outgoing.once('close', run)
  else setImmediate(run)
}
