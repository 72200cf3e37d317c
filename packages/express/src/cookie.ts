import type { CookieOptions, Request, Response } from 'express'
import type { ResolvedOptions } from './options.js'

/**
 * The first value of cookie `name` in a Cookie header, read without parsing the others: the
 * middleware needs one cookie on every request, whatever else the browser sends.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  const wanted = `${name}=`
  let at = header.indexOf(wanted)
  while (at !== -1) {
    const before = at === 0 ? ';' : header[at - 1]
    if (before === ';' || before === ' ' || before === '\t') {
      const start = at + wanted.length
      const end = header.indexOf(';', start)
      let value = (end === -1 ? header.slice(start) : header.slice(start, end)).trim()
      if (value.length > 1 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
      if (!value.includes('%')) return value
      try {
        return decodeURIComponent(value)
      } catch {
        return value
      }
    }
    at = header.indexOf(wanted, at + 1)
  }
  return undefined
}

/** The options the login cookie is written (and cleared) with for this request: never an expiry. */
export function cookieAttributes(options: ResolvedOptions, req: Request): CookieOptions {
  const { secure, httpOnly, sameSite, path, domain } = options.cookie
  return {
    httpOnly,
    sameSite,
    path,
    secure: secure === 'auto' ? req.secure || options.appUrl?.startsWith('https:') === true : secure,
    ...(domain === undefined ? {} : { domain }),
  }
}

export function writeLoginCookie(options: ResolvedOptions, req: Request, res: Response, token: string, exp: number): void {
  if (options.cookieName === null) return
  const { maxAge, expires } = options.cookie
  // The cookie lives as long as the token, unless the app set its own lifetime (as AuthRocket's middleware).
  const lifetime =
    maxAge === undefined && expires === undefined
      ? { expires: new Date(exp * 1000) }
      : { ...(maxAge === undefined ? {} : { maxAge }), ...(expires === undefined ? {} : { expires }) }
  res.cookie(options.cookieName, token, { ...cookieAttributes(options, req), ...lifetime })
}

export function clearLoginCookie(options: ResolvedOptions, req: Request, res: Response): void {
  if (options.cookieName === null || res.headersSent) return
  res.clearCookie(options.cookieName, cookieAttributes(options, req))
}
