/**
 * A small browser over fetch for tests: one cookie jar for the host (browsers don't separate cookies by
 * port, so the app's and LoginRocket's cookies sit side by side, as they do on localhost), no automatic
 * redirects (tests look at each hop), and the HTML of the last page.
 */
export class Browser {
  readonly cookies = new Map<string, string>()
  html = ''

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

  async #keep(response: Response): Promise<Response> {
    this.#remember(response)
    this.html = response.headers.get('content-type')?.includes('text/html') ? await response.clone().text() : ''
    return response
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.#keep(await fetch(url, { headers: this.#headers(headers), redirect: 'manual' }))
  }

  async post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    const response = await fetch(url, {
      method: 'POST',
      body: new URLSearchParams(fields),
      headers: this.#headers({ 'content-type': 'application/x-www-form-urlencoded', ...headers }),
      redirect: 'manual',
    })
    return this.#keep(response)
  }

  /** Follows redirects (at most 10) and returns the first answer that isn't one. */
  async follow(response: Response, from: string): Promise<Response> {
    let current = response
    let base = from
    for (let hops = 0; hops < 10 && current.status >= 300 && current.status < 400; hops++) {
      base = new URL(location(current), base).href
      current = await this.get(base)
    }
    return current
  }
}

export function location(response: Response): string {
  const value = response.headers.get('location')
  if (value === null) throw new Error(`expected a redirect, got ${response.status}`)
  return value
}

/** Undoes HTML escaping in text and attribute values. */
export function decode(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

/** The href of the first link whose text is `text` (markup and surrounding space aside). */
export function linkHref(html: string, text: string): string {
  for (const match of html.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a>/g)) {
    const href = /\bhref="([^"]*)"/.exec(match[1]!)?.[1]
    if (href !== undefined && decode(match[2]!.replace(/<[^>]+>/g, '')).trim() === text) return decode(href)
  }
  throw new Error(`no link "${text}" in the page`)
}

/** The first form with method=post: its action and hidden fields (the CSRF token among them). */
export function postForm(html: string): { action: string; fields: Record<string, string> } {
  const form = /<form\b([^>]*method="post"[^>]*)>([\s\S]*?)<\/form>/i.exec(html)
  if (!form) throw new Error('no form in the page')
  const action = decode(/\baction="([^"]*)"/.exec(form[1]!)?.[1] ?? '')
  const fields: Record<string, string> = {}
  for (const input of form[2]!.matchAll(/<input\b([^>]*)>/g)) {
    const attributes = input[1]!
    if (!/\btype="hidden"/.test(attributes)) continue
    const name = /\bname="([^"]*)"/.exec(attributes)?.[1]
    const value = /\bvalue="([^"]*)"/.exec(attributes)?.[1] ?? ''
    if (name) fields[decode(name)] = decode(value)
  }
  return { action, fields }
}

/** True when the page has a link whose text is `text`. */
export function hasLink(html: string, text: string): boolean {
  try {
    linkHref(html, text)
    return true
  } catch {
    return false
  }
}

/** The page's visible text, whitespace collapsed (for "contains" checks that ignore markup). */
export function textOf(html: string): string {
  return decode(
    html
      .replace(/<(script|style)\b[\s\S]*?<\/\1>/g, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' '),
  ).trim()
}
