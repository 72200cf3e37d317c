import { get, setCookies, type TestResponse } from './http.js'

/** What a browser holds after the app sent it to LoginRocket: where it was sent, and its nonce cookie. */
export interface Trip {
  /** The LoginRocket URL the app redirected to. */
  to: URL
  /** The nonce the app put in that URL. */
  nonce: string
  /** The browser's cookies for the app (its nonce, plus any it sent). */
  cookie: string
}

/** The nonce cookie an answer sets, if any. */
export function nonceCookie(res: TestResponse): string | undefined {
  return setCookies(res).find((c) => c.name === 'arNonce')?.value
}

/** GETs an app page that sends the browser to LoginRocket (requireLogin), with the browser's headers (and cookies). */
export async function startLogin(url: string, headers: Record<string, string> = {}): Promise<Trip> {
  const res = await get(url, headers)
  if (res.status !== 302) throw new Error(`${url} answered ${res.status}, not a redirect to LoginRocket`)
  const to = new URL(res.headers.get('location')!)
  const nonce = to.searchParams.get('nonce')!
  const set = nonceCookie(res)
  const kept = (headers.cookie ?? '').split(/; */).filter((c) => c !== '' && !c.startsWith('arNonce='))
  return { to, nonce, cookie: [...kept, `arNonce=${set ?? nonce}`].join('; ') }
}

/** LoginRocket sending the browser back to `redirect_uri` with `token`, as the server's withToken() does. */
export function comeBack(trip: Trip, token: string, headers: Record<string, string> = { cookie: trip.cookie }): Promise<TestResponse> {
  const back = new URL(trip.to.searchParams.get('redirect_uri')!)
  back.searchParams.set('token', token)
  return get(back.href, headers)
}

/** The browser's Cookie header after an answer: its cookies with the answer's Set-Cookie applied. */
export function applyCookies(cookie: string, res: TestResponse): string {
  const jar = new Map(cookie.split(/; */).filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]))
  for (const set of setCookies(res)) {
    if (set.value === '' || /Max-Age=0|Expires=Thu, 01 Jan 1970/.test(set.attributes)) jar.delete(set.name)
    else jar.set(set.name, set.value)
  }
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
}
