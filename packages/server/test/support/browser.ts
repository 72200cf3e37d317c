/**
 * A minimal browser over fetch: a cookie jar, no automatic redirects (tests look at each hop), and forms
 * posted with the CSRF token of the page they came from.
 */
export class Browser {
  readonly cookies = new Map<string, string>()
  lastHtml = ''

  constructor(readonly base: string) {}

  #absolute(url: string): string {
    return new URL(url, this.base).href
  }

  #remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      const expired = attributes.some((a) => /max-age=0/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a))
      if (expired || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    return { ...(cookie ? { cookie } : {}), ...extra }
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<Response> {
    const response = await fetch(this.#absolute(url), { headers: this.#headers(headers), redirect: 'manual' })
    this.#remember(response)
    if (response.headers.get('content-type')?.includes('text/html')) this.lastHtml = await response.clone().text()
    return response
  }

  /** Posts a form; the CSRF token comes from the last page unless `fields.csrf` is given. A list is sent as repeated fields. */
  async post(url: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<Response> {
    const body = new URLSearchParams()
    for (const [name, value] of Object.entries({ csrf: this.csrf(), ...fields })) for (const one of [value].flat()) body.append(name, one)
    const response = await fetch(this.#absolute(url), {
      method: 'POST',
      body,
      headers: this.#headers({ 'content-type': 'application/x-www-form-urlencoded', ...headers }),
      redirect: 'manual',
    })
    this.#remember(response)
    if (response.headers.get('content-type')?.includes('text/html')) this.lastHtml = await response.clone().text()
    return response
  }

  /** Follows redirects on this origin; stops at the first one that leaves it (e.g. back to the app). */
  async follow(response: Response): Promise<Response> {
    let current = response
    for (let hops = 0; hops < 10 && current.status >= 300 && current.status < 400; hops++) {
      const next = new URL(current.headers.get('location')!, this.base)
      if (next.origin !== new URL(this.base).origin) return current
      current = await this.get(next.href)
    }
    return current
  }

  csrf(): string {
    return /name="csrf" value="([^"]+)"/.exec(this.lastHtml)?.[1] ?? ''
  }
}

/** The token in a redirect to the app. */
export function tokenFrom(response: Response): string {
  const location = response.headers.get('location')
  const token = location ? new URL(location).searchParams.get('token') : null
  if (!token) throw new Error(`no token in redirect (${response.status} ${location})`)
  return token
}

export function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
}
