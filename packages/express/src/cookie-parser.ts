import type { IncomingMessage } from 'node:http'
import type { NextFunction, Request, Response } from 'express'
import realCookieParser from 'cookie-parser'

type ParseOptions = Parameters<typeof realCookieParser>[1]
type Cookies = Record<string, any>

/** What one cookieParser() left on a request: how to parse, and what was parsed or assigned. */
interface CookieState {
  parse: ((header: string | undefined) => { cookies: Cookies; signedCookies: Cookies }) | null
  secret: string | undefined
  cookies?: Cookies
  signedCookies?: Cookies
}

const STATE = Symbol('airlock.cookieParser')
type WithState = IncomingMessage & { [STATE]: CookieState }

function parsed(state: CookieState, req: WithState, name: 'cookies' | 'signedCookies'): Cookies | undefined {
  if (state[name] === undefined && state.parse !== null) {
    const fields = state.parse(req.headers.cookie)
    state.cookies ??= fields.cookies
    state.signedCookies ??= fields.signedCookies
    state.parse = null
  }
  return state[name]
}

/**
 * One set of accessors for every request, defined on each request a cookieParser() sees: other apps and
 * servers in the process keep Node's and Express's objects as they are. Shared functions, defined in one
 * order, give those requests one hidden class between them (a getter per request would give each its own
 * and slow every property access after it).
 */
function accessor(name: 'cookies' | 'signedCookies' | 'secret'): PropertyDescriptor {
  return {
    configurable: true,
    get(this: WithState) {
      const state = this[STATE]
      return name === 'secret' ? state.secret : parsed(state, this, name)
    },
    set(this: WithState, value: any) {
      this[STATE][name] = value
    },
  }
}

const ACCESSORS: PropertyDescriptorMap = {
  cookies: accessor('cookies'),
  signedCookies: accessor('signedCookies'),
  secret: accessor('secret'),
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
  const real = realCookieParser(secret, options)
  const secrets = secret === undefined ? [] : Array.isArray(secret) ? secret : [secret]
  const noop = () => {}

  function parse(header: string | undefined) {
    const shadow = { headers: { cookie: header } } as unknown as Request
    real(shadow, undefined as unknown as Response, noop)
    return { cookies: shadow.cookies as Cookies, signedCookies: shadow.signedCookies as Cookies }
  }

  return function cookieParser(req: Request, _res: Response, next: NextFunction): void {
    // Done already, by this or another cookie parser (which sets its own properties).
    if (Object.hasOwn(req, 'cookies')) return next()
    ;(req as unknown as WithState)[STATE] = { parse, secret: secrets[0] }
    Object.defineProperties(req, ACCESSORS)
    next()
  }
}

cookieParser.JSONCookie = realCookieParser.JSONCookie
cookieParser.JSONCookies = realCookieParser.JSONCookies
cookieParser.signedCookie = realCookieParser.signedCookie
cookieParser.signedCookies = realCookieParser.signedCookies
