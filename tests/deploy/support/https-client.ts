// A client of the proxy from Node, for what a browser can't do: connect from a chosen loopback address (nginx
// sees each as another client) and send the headers an attacker would. It trusts the test's CA only.
import { request } from 'node:https'

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** One https request from `localAddress` (e.g. 127.0.0.2), trusting only `ca`. */
export function httpsRequest(
  url: string,
  options: { ca: string; localAddress: string; method?: string; headers?: Record<string, string>; body?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', ca: options.ca, localAddress: options.localAddress, headers: options.headers, agent: false, timeout: 15_000 },
      (res) => {
        let body = ''
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer in 15 s`)))
    req.on('error', reject)
    req.end(options.body)
  })
}

/** A visitor of the login pages with a cookie jar, connecting from its own loopback address. */
export class ProxyClient {
  readonly #cookies = new Map<string, string>()
  #csrf = ''

  constructor(
    readonly base: string,
    readonly ca: string,
    readonly localAddress: string,
    /** Headers sent with every request (an attacker's X-Forwarded-For, say). */
    readonly extraHeaders: () => Record<string, string> = () => ({}),
  ) {}

  async #send(path: string, method: string, body?: string): Promise<Answer> {
    const cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    const answer = await httpsRequest(new URL(path, this.base).href, {
      ca: this.ca,
      localAddress: this.localAddress,
      method,
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        ...this.extraHeaders(),
      },
      ...(body === undefined ? {} : { body }),
    })
    for (const line of [answer.headers['set-cookie'] ?? []].flat()) {
      const pair = line.split(';', 1)[0]!
      const eq = pair.indexOf('=')
      this.#cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
    }
    this.#csrf = /name="csrf" value="([^"]+)"/.exec(answer.body)?.[1] ?? this.#csrf
    return answer
  }

  get(path: string): Promise<Answer> {
    return this.#send(path, 'GET')
  }

  /** Posts a form with the CSRF token of the last page that had one. */
  post(path: string, fields: Record<string, string>): Promise<Answer> {
    return this.#send(path, 'POST', new URLSearchParams({ csrf: this.#csrf, ...fields }).toString())
  }
}
