/**
 * The load generator, a child process of its own so it never shares an event loop with the server:
 * runs autocannon for each scenario main.ts asks for and reports back. For the fresh-token
 * scenario it reads the token pool from disk and puts a never-used token in every request.
 */
import { readFile } from 'node:fs/promises'
import autocannon from 'autocannon'
import type { FromLoad, LoadRun, ToLoad } from './protocol.js'
import type { TokenPool } from './tokens.js'

const poolPath = process.env.BENCH_POOL
if (!poolPath || !process.send) throw new Error('load.ts is started by main.ts (needs BENCH_POOL and an IPC channel)')
const send = (message: FromLoad) => process.send!(message)

const tokens = (JSON.parse(await readFile(poolPath, 'utf8')) as TokenPool).tokens

function run({ id, spec, durationSec, connections }: LoadRun): Promise<void> {
  let next = spec.fresh?.start ?? 0
  let exhausted = false
  const fresh = spec.fresh
  let instance: autocannon.Instance | undefined

  const requests: autocannon.Request[] = [
    fresh === undefined
      ? {}
      : {
          setupRequest(request) {
            if (next >= tokens.length) {
              // Never reuse a token (it would be a cache hit): stop here and report it.
              if (!exhausted) instance?.stop()
              exhausted = true
              next = tokens.length - 1
            }
            const token = tokens[next++]!
            request.headers = { ...request.headers, cookie: `${fresh.cookieBefore}${token}${fresh.cookieAfter}` }
            return request
          },
        },
  ]

  return new Promise((resolve) => {
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
            tokensUsed: fresh === undefined ? 0 : next - fresh.start,
            exhausted,
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
