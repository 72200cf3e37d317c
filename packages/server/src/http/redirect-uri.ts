import type { Realm } from '../domain/realm.js'

/** A userinfo part: `@` in the authority (after the scheme and any slashes, before the path, query or fragment). */
const USERINFO = /^[a-z][a-z0-9+.-]*:[/\\]*[^/\\?#]*@/i

/**
 * `redirect_uri` must be equal to or more specific than one of the realm's Login URLs: same scheme,
 * host and port, and a path at or below the Login URL's path. Anything else is refused (never followed).
 * Without one, the first Login URL. Returns null when there is nowhere safe to go.
 */
export function checkRedirectUri(realm: Realm, raw: string | undefined): string | null {
  const allowed = realm.settings.login_urls
  if (raw === undefined || raw === '') return allowed[0] ?? null
  if (raw.length > 2000 || /[\u0000-\u001f\u007f\\]/.test(raw)) return null
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return null
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) return null
  // Credentials, even empty ones (`http://:@host/`, which the parser drops), have no place in a return address.
  if (USERINFO.test(raw)) return null
  // The parser resolves `..` and `%2e%2e` segments, but an encoded slash, backslash or dot is left for the app's
  // server to decode, which some do: `/app/..%2fadmin` could then land outside the Login URL's path.
  if (/%2f|%5c|%2e/i.test(url.pathname)) return null
  for (const base of allowed) {
    const login = new URL(base)
    if (url.origin !== login.origin) continue
    const prefix = login.pathname.endsWith('/') ? login.pathname : `${login.pathname}/`
    if (url.pathname === login.pathname || url.pathname.startsWith(prefix)) return url.href
  }
  return null
}

/** `redirect_uri` with the login token (and session id) appended. */
export function withToken(redirectUri: string, token: string): string {
  const url = new URL(redirectUri)
  url.searchParams.set('token', token)
  return url.href
}

/** A path on LoginRocket itself to come back to (e.g. the profile page after logging in); never another host. */
export function checkReturnTo(raw: string | undefined): string | null {
  if (!raw || raw.length > 2000 || !raw.startsWith('/') || raw.startsWith('//') || /[\u0000-\u001f\u007f\\]/.test(raw)) return null
  return raw
}
