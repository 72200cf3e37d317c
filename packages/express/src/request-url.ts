import type { Request } from 'express'
import type { UrlParams } from './types.js'

const HOST = /^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i

/** Parameters that carry login state in a URL; never kept in a link back to the app. */
export const LOGIN_PARAMS = ['token', 'session', 'account']

type TrustFn = (address: string | undefined, hop: number) => boolean

/** The request's Host, from X-Forwarded-Host only when Express's `trust proxy` trusts the peer. */
function requestHost(req: Request): string {
  let host = req.headers.host
  const forwarded = req.headers['x-forwarded-host']
  if (typeof forwarded === 'string' && forwarded !== '') {
    const trust = req.app?.get('trust proxy fn') as TrustFn | undefined
    if (trust?.(req.socket?.remoteAddress, 0)) host = forwarded.split(',', 1)[0]!.trim()
  }
  return host !== undefined && HOST.test(host) ? host : 'localhost'
}

/** The app's origin: `appUrl` when configured, else built from this request. */
export function requestOrigin(req: Request, appUrl: string | null): string {
  return appUrl ?? `${req.protocol}://${requestHost(req)}`
}

/**
 * A link to a LoginRocket page, built as AuthRocket's middleware builds it: LOGINROCKET_URL with its path replaced
 * by `path` (scheme, host, port and any query kept), then `params` appended in order, form-encoded. A `URL` value is
 * written as its address; `undefined` and `null` values are left out.
 */
export function loginrocketLink(base: string, path: string, params: UrlParams | undefined): string {
  const url = new URL(base)
  url.pathname = path
  for (const [name, value] of Object.entries(params ?? {})) {
    if (value !== undefined && value !== null) url.searchParams.append(name, value instanceof URL ? value.href : String(value))
  }
  return url.href
}

function paramName(pair: string): string {
  const name = pair.split('=', 1)[0]!.replace(/\+/g, ' ')
  try {
    return decodeURIComponent(name)
  } catch {
    return name
  }
}

/** `url` (a path with optional query) without the named query parameters; the rest is kept byte for byte. */
export function withoutParams(url: string, names: readonly string[]): string {
  const q = url.indexOf('?')
  if (q === -1) return url
  const kept = url
    .slice(q + 1)
    .split('&')
    .filter((pair) => pair !== '' && !names.includes(paramName(pair)))
  return url.slice(0, q) + (kept.length === 0 ? '' : `?${kept.join('&')}`)
}
