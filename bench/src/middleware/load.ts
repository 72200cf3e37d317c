/**
 * The load generator, a child process of its own so it never shares an event loop with the server:
 * runs autocannon for each scenario main.ts asks for and reports back. For the fresh-token
 * scenario it reads the token pool from disk and puts a never-used token in every request.
 */
import autocannon from 'autocannon'
import type { FromLoad, LoadRun, ToLoad } from './protocol.js'
import { readTokens } from './tokens.js'

const cacheDir = process.env.BENCH_CACHE ?? ''
if (cacheDir === '' || !process.send) throw new Error('load.ts is started by main.ts (needs BENCH_CACHE and an IPC channel)')
const send = (message: FromLoad) => process.send!(message)

let tokens = await readTokens(cacheDir)

function cpuUsed(since: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since)
  return user + system
}

async function run({ id, spec, durationSec, connections, poolSize }: LoadRun): Promise<void> {
  if (spec.fresh !== undefined && tokens.length < poolSize) tokens = await readTokens(cacheDir)
  const start = spec.fresh?.start ?? 0
  let next = start
  let exhausted = false
  const fresh = spec.fresh
  let instance: autocannon.Instance | undefined

  const requests: autocannon.Request[] = [
    fresh === undefined
      ? {}
      : {
          setupRequest(request) {
            let token = ''
            if (next < tokens.length) {
              token = tokens[next++]!
            } else if (!exhausted) {
              // Never reuse a token (it would be a cache hit): stop, and send no login until the
              // run ends (401s), so main.ts discards this run and repeats it with more tokens.
              exhausted = true
              instance?.stop()
            }
            request.headers = { ...request.headers, cookie: `${fresh.cookieBefore}${token}${fresh.cookieAfter}` }
            return request
          },
        },
  ]
  const cpuBefore = process.cpuUsage()

  await new Promise<void>((resolve) => {
    instance = autocannon(
      {
        url: spec.url,
        headers: spec.headers,
        requests,
        connections,
        duration: durationSec,
        pipelining: 1,
        timeout: 10,
      },
      (error, result) => {
        if (error) {
          send({ type: 'failed', id, message: String(error) })
        } else {
          const elapsedSec = result.duration
          const responses = result.requests.total
          send({
            type: 'result',
            id,
            scenario: spec.scenario,
            rps: responses / elapsedSec,
            responses,
            elapsedSec,
            non2xx: result.non2xx,
            errors: result.errors,
            timeouts: result.timeouts,
            latencyP50Ms: result.latency.p50,
            latencyP99Ms: result.latency.p99,
            tokensUsed: next - start,
            exhausted,
            cpuUs: cpuUsed(cpuBefore),
          })
        }
        resolve()
      },
    )
  })
}

let queue = Promise.resolve()
process.on('message', (message: ToLoad) => {
  if (message.type === 'exit') process.exit(0)
  else queue = queue.then(() => run(message))
})
process.on('disconnect', () => process.exit(0))
send({ type: 'ready', poolSize: tokens.length })
