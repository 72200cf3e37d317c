import { IncomingMessage } from 'node:http'
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
type WithState = IncomingMessage & { [STATE]?: CookieState }

function stateOf(req: WithState): CookieState {
  return (req[STATE] ??= { parse: null, secret: undefined })
}

function parsedField(req: WithState, name: 'cookies' | 'signedCookies'): Cookies | undefined {
  const state = req[STATE]
  if (state === undefined) return undefined
  if (state[name] === undefined && state.parse !== null) {
    const parsed = state.parse(req.headers.cookie)
    state.cookies ??= parsed.cookies
    state.signedCookies ??= parsed.signedCookies
    state.parse = null
  }
  return state[name]
}

/**
 * The accessors live once on IncomingMessage.prototype, the one ancestor of every request (sub-apps
 * swap Express's prototypes): per-request getters would give each request its own hidden class and
 * slow every property access after them. A request that no cookieParser() saw reads undefined, as before.
 */
function installAccessors(): void {
  if (Object.getOwnPropertyDescriptor(IncomingMessage.prototype, 'signedCookies')?.get) return
  const accessor = (name: 'cookies' | 'signedCookies' | 'secret'): PropertyDescriptor => ({
    configurable: true,
    get(this: WithState) {
      return name === 'secret' ? this[STATE]?.secret : parsedField(this, name)
    },
    set(this: WithState, value: any) {
      stateOf(this)[name] = value
    },
  })
  Object.defineProperties(IncomingMessage.prototype, {
    cookies: accessor('cookies'),
    signedCookies: accessor('signedCookies'),
    secret: accessor('secret'),
  })
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
  installAccessors()
  const real = realCookieParser(secret, options)
  const secrets = secret === undefined ? [] : Array.isArray(secret) ? secret : [secret]
  const noop = () => {}

  function parse(header: string | undefined) {
    const shadow = { headers: { cookie: header } } as unknown as Request
    real(shadow, undefined as unknown as Response, noop)
    return { cookies: shadow.cookies as Cookies, signedCookies: shadow.signedCookies as Cookies }
  }

  return function cookieParser(req: Request, _res: Response, next: NextFunction): void {
    const request = req as unknown as WithState
    // Done already, by this or another cookie parser (which sets its own properties).
    if (request[STATE] !== undefined || Object.hasOwn(req, 'cookies')) return next()
    request[STATE] = { parse, secret: secrets[0] }
    next()
  }
}

cookieParser.JSONCookie = realCookieParser.JSONCookie
cookieParser.JSONCookies = realCookieParser.JSONCookies
cookieParser.signedCookie = realCookieParser.signedCookie
cookieParser.signedCookies = realCookieParser.signedCookies
