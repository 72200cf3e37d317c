import type { NextFunction, Request, Response } from 'express'
import realCookieParser from 'cookie-parser'

type ParseOptions = Parameters<typeof realCookieParser>[1]

interface Parsed {
  cookies: Record<string, any>
  signedCookies: Record<string, any>
}

/**
 * cookie-parser, with the same signature and results, parsing on first use: `req.cookies` and
 * `req.signedCookies` are filled in when something reads them. The login cookie itself is read
 * straight from the header, so requests whose routes never look at cookies parse nothing.
 *
 * @example
 * app.use(cookieParser())
 * @public
 */
export function cookieParser(secret?: string | string[], options?: ParseOptions) {
  const parse = realCookieParser(secret, options)
  const secrets = secret === undefined ? [] : Array.isArray(secret) ? secret : [secret]
  const noop = () => {}

  function parsed(req: Request): Parsed {
    const shadow = { headers: { cookie: req.headers.cookie } } as unknown as Request
    parse(shadow, undefined as unknown as Response, noop)
    return { cookies: shadow.cookies, signedCookies: shadow.signedCookies }
  }

  return function cookieParser(req: Request, _res: Response, next: NextFunction): void {
    if (req.cookies) return next()
    req.secret = secrets[0]
    let result: Parsed | undefined
    let cookies: Record<string, any> | undefined
    let signedCookies: Record<string, any> | undefined
    Object.defineProperties(req, {
      cookies: {
        configurable: true,
        enumerable: true,
        get: () => (cookies ??= (result ??= parsed(req)).cookies),
        set: (value: Record<string, any>) => void (cookies = value),
      },
      signedCookies: {
        configurable: true,
        enumerable: true,
        get: () => (signedCookies ??= (result ??= parsed(req)).signedCookies),
        set: (value: Record<string, any>) => void (signedCookies = value),
      },
    })
    next()
  }
}

cookieParser.JSONCookie = realCookieParser.JSONCookie
cookieParser.JSONCookies = realCookieParser.JSONCookies
cookieParser.signedCookie = realCookieParser.signedCookie
cookieParser.signedCookies = realCookieParser.signedCookies
