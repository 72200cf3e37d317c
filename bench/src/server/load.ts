/**
 * The load generator of the server benchmarks, a child process of its own (on the other core than the
 * server): runs autocannon for each run the orchestrator asks for and reports back. See protocol.ts for
 * what each kind of work sends and what counts as a success.
 */
import autocannon from 'autocannon'
import type { FromLoad, LoadRun, LoadSetup, ToLoad } from './protocol.js'

if (!process.send) throw new Error('load.ts is started by the benchmark (needs an IPC channel)')
const send = (message: FromLoad) => process.send!(message)

let setup: LoadSetup = { type: 'setup', id: -1, tokens: [], emails: [], password: '', redirectUri: '' }
let nextToken = 0
let nextEmail = 0

const CSRF_FIELD = /name="csrf" value="([^"]+)"/
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

function header(headers: Record<string, string | string[] | undefined> | undefined, name: string): string[] {
  const out: string[] = []
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name && value !== undefined) out.push(...[value].flat())
  return out
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

interface LoginContext {
  started?: number
  csrf?: string
  cookie?: string
}

async function run({ id, origin, work, durationSec, connections }: LoadRun): Promise<void> {
  let completed = 0
  let failures = 0
  const failureSamples: string[] = []
  const loginMs: number[] = []
  const fail = (what: string) => {
    failures++
    if (failureSamples.length < 3) failureSamples.push(what.slice(0, 300))
  }

  let requests: autocannon.Request[]
  if (work.kind === 'get') {
    requests = [{ method: 'GET', path: work.path }]
  } else if (work.kind === 'renew') {
    if (setup.tokens.length === 0) throw new Error('no tokens to renew')
    requests = [
      {
        method: 'POST',
        path: '/connect/renew',
        setupRequest(request) {
          const token = setup.tokens[nextToken++ % setup.tokens.length]!
          request.headers = { ...request.headers, authorization: `Bearer ${token}` }
          return request
        },
      },
    ]
  } else {
    if (setup.emails.length === 0) throw new Error('no users to log in')
    const path = `/login?redirect_uri=${encodeURIComponent(setup.redirectUri)}`
    requests = [
      {
        method: 'GET',
        path,
        setupRequest(request, context: LoginContext) {
          context.started = performance.now()
          return request
        },
        onResponse(status, body, context: LoginContext, headers) {
          const csrf = CSRF_FIELD.exec(body)?.[1]
          const cookie = header(headers, 'set-cookie')
            .map((c) => c.split(';', 1)[0]!)
            .find((c) => c.startsWith('lr_csrf='))
          if (status !== 200 || !csrf || !cookie) fail(`GET /login: ${status} ${csrf ? '' : '(no csrf field) '}${cookie ? '' : '(no lr_csrf cookie)'}`)
          context.csrf = csrf
          context.cookie = cookie
        },
      },
      {
        method: 'POST',
        path,
        setupRequest(request, context: LoginContext) {
          const email = setup.emails[nextEmail++ % setup.emails.length]!
          const form = new URLSearchParams({ csrf: context.csrf ?? '', redirect_uri: setup.redirectUri, email, password: setup.password })
          request.headers = { ...request.headers, ...FORM, ...(context.cookie ? { cookie: context.cookie } : {}) }
          request.body = form.toString()
          return request
        },
        onResponse(status, _body, context: LoginContext, headers) {
          const location = header(headers, 'location')[0] ?? ''
          if (status === 303 && location.startsWith(setup.redirectUri) && /[?&]token=[\w-]+\.[\w-]+\.[\w-]+/.test(location)) {
            completed++
            if (context.started !== undefined) loginMs.push(performance.now() - context.started)
          } else {
            fail(`POST /login: ${status} ${location}`)
          }
        },
      },
    ]
  }

  const cpuBefore = process.cpuUsage()
  await new Promise<void>((resolve) => {
    autocannon(
      { url: origin, requests, connections, duration: durationSec, pipelining: 1, timeout: 10 },
      (error, result) => {
        if (error) {
          send({ type: 'failed', id, message: String(error) })
          resolve()
          return
        }
        const { user, system } = process.cpuUsage(cpuBefore)
        const elapsedSec = result.duration
        // get and renew: every response counts and must be 2xx; logins were counted above.
        if (work.kind !== 'login') {
          completed = result.requests.total
          if (result.non2xx > 0) fail(`${result.non2xx} non-2xx answers`)
        }
        loginMs.sort((a, b) => a - b)
        send({
          type: 'result',
          id,
          rate: completed / elapsedSec,
          completed,
          elapsedSec,
          failures,
          failureSamples,
          errors: result.errors,
          timeouts: result.timeouts,
          latencyP50Ms: work.kind === 'login' ? percentile(loginMs, 50) : result.latency.p50,
          latencyP99Ms: work.kind === 'login' ? percentile(loginMs, 99) : result.latency.p99,
          cpuUs: user + system,
        })
        resolve()
      },
    )
  })
}

let queue = Promise.resolve()
process.on('message', (message: ToLoad) => {
  if (message.type === 'exit') process.exit(0)
  else if (message.type === 'setup') {
    setup = message
    send({ type: 'setup-done', id: message.id })
  } else {
    queue = queue
      .then(() => run(message))
      .catch((error: unknown) => {
        send({ type: 'failed', id: message.id, message: String(error) })
      })
  }
})
process.on('disconnect', () => process.exit(0))
send({ type: 'ready' })
