import { Browser } from './browser.js'
import type { TestServer } from './server.js'

let nextAddress = 1
/** A client address no other client in this process uses (for servers started with `trustProxy`). */
export const freshIp = () => `10.${(nextAddress >> 16) & 255}.${(nextAddress >> 8) & 255}.${nextAddress++ & 255}`

/**
 * A browser whose requests come from its own address (X-Forwarded-For, which a `trustProxy` server believes),
 * so that per-address limits of one test don't reach the next. Its forms carry the CSRF token of the last
 * page that had one, even after an answer without a form.
 */
export class Client {
  readonly browser: Browser
  #csrf = ''

  constructor(
    server: TestServer,
    readonly ip = freshIp(),
  ) {
    this.browser = new Browser(server.url)
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await this.browser.get(url, { 'x-forwarded-for': this.ip, ...headers })
    this.#csrf = this.browser.csrf() || this.#csrf
    return res
  }

  post(url: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<Response> {
    return this.browser.post(url, { csrf: this.#csrf, ...fields }, { 'x-forwarded-for': this.ip, ...headers })
  }

  /** Opens `page`, then sends its form. */
  async submit(page: string, fields: Record<string, string>): Promise<Response> {
    await this.get(page)
    return this.post(page, fields)
  }

  get csrf(): string {
    return this.#csrf
  }

  /** The Cookie header this browser sends. */
  get cookieHeader(): string {
    return [...this.browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }
}
