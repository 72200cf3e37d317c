import { parseKey, type StaticKey } from './static-key.js'

/** Where a log line goes; `console` by default. */
export interface Logger {
  warn(message: string): void
}

/** Options for the login cookie; the defaults are httpOnly, SameSite=Lax, Secure on https. */
export interface ArCookieOptions {
  /** `'auto'` (default): Secure when the request arrived over https. */
  secure?: boolean | 'auto'
  httpOnly?: boolean
  sameSite?: 'lax' | 'strict' | 'none'
  domain?: string
  path?: string
  /** Milliseconds, as Express's `res.cookie`; by default the cookie expires with the token (its `exp`). */
  maxAge?: number
  /** A fixed expiry date; by default the cookie expires with the token (its `exp`). */
  expires?: Date
}

/** Options for {@link arMiddleware}; every setting can also come from the environment. */
export interface ArMiddlewareOptions {
  authrocket?: {
    /** The realm's LoginRocket URL; defaults to env `LOGINROCKET_URL`. */
    loginrocketUrl?: string
    /** A static verification key (PEM or base64 RSA public key, or an HS256 secret); env `AUTHROCKET_JWT_KEY`. */
    jwtKey?: string
    /**
     * The expected `iss`. Without it, the realm's discovery document (`<LoginRocket URL>/.well-known/openid-configuration`)
     * says, read and cached with the keys; while it can't be read, the LoginRocket URL's origin.
     */
    issuer?: string
  }
  /** Name of the login cookie (default `arToken`); `false` turns the cookie off (bearer tokens only). */
  cookie?: string | false
  cookieOptions?: ArCookieOptions
  /** The app's public origin; when set, links and redirects use it instead of the request's Host header. */
  appUrl?: string
  /**
   * `true` (default): a `?token=` is installed only in the browser that went to LoginRocket for it (its nonce
   * cookie matches the token's `nonce` claim). `false` is for LoginRocket servers that can't sign a nonce;
   * it lets a link carrying someone else's token log the visitor in as them (login CSRF).
   */
  bindTokens?: boolean
  logger?: Logger
}

export interface ResolvedOptions {
  /** LOGINROCKET_URL without its query and trailing slash. */
  loginrocketUrl: string
  /** LOGINROCKET_URL as given, query included: links to LoginRocket's pages replace its path and keep its query. */
  loginrocketLinks: string
  /** The app's own `authrocket.issuer`; null: learnt from the realm. */
  issuer: string | null
  staticKey: StaticKey | null
  cookieName: string | null
  cookie: Required<Pick<ArCookieOptions, 'secure' | 'httpOnly' | 'sameSite' | 'path'>> &
    Pick<ArCookieOptions, 'domain' | 'maxAge' | 'expires'>
  appUrl: string | null
  bindTokens: boolean
  logger: Logger
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

function fail(setting: string, problem: string, fix: string): never {
  throw new TypeError(`arMiddleware: ${setting} ${problem}. ${fix}`)
}

function parseOrigin(value: unknown, setting: string, fix: string, allowPath: boolean, allowQuery = false): string {
  if (typeof value !== 'string' || value.trim() === '') fail(setting, 'is missing', fix)
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    fail(setting, `is not a URL (got ${JSON.stringify(value)})`, fix)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    fail(setting, `must be an http or https URL (got ${JSON.stringify(value)})`, fix)
  }
  if (url.username || url.password || (url.search && !allowQuery) || url.hash) {
    const query = allowQuery ? '' : ', a query'
    fail(setting, `must not contain credentials${query} or a fragment (got ${JSON.stringify(value)})`, fix)
  }
  if (!allowPath && url.pathname !== '/') {
    fail(setting, `must be an origin such as https://app.example.com, without a path (got ${JSON.stringify(value)})`, fix)
  }
  return url.origin + url.pathname.replace(/\/+$/, '')
}

/** Validates the options once, when the middleware is built; every problem names its setting. */
export function resolveOptions(options: ArMiddlewareOptions, env: NodeJS.ProcessEnv): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('arMiddleware: options must be an object, e.g. arMiddleware({ authrocket: { loginrocketUrl } })')
  }
  const ar = options.authrocket ?? {}
  const lrFix =
    "Set the LOGINROCKET_URL environment variable or pass arMiddleware({ authrocket: { loginrocketUrl: 'https://...' } }); " +
    "your realm's Integration page shows the value"
  const lrSetting = ar.loginrocketUrl ?? env.LOGINROCKET_URL
  const loginrocketUrl = parseOrigin(lrSetting, 'LOGINROCKET_URL (authrocket.loginrocketUrl)', lrFix, true, true)
  const loginrocketLinks = new URL((lrSetting as string).trim()).href

  const issuer =
    ar.issuer === undefined
      ? null
      : typeof ar.issuer === 'string' && ar.issuer !== ''
        ? ar.issuer.replace(/\/+$/, '')
        : fail('authrocket.issuer', 'must be a non-empty string', "Leave it out to learn it from the realm")

  const rawKey = ar.jwtKey ?? (env.AUTHROCKET_JWT_KEY || undefined)
  let staticKey: StaticKey | null = null
  if (rawKey !== undefined) {
    try {
      staticKey = parseKey(rawKey)
    } catch (error) {
      fail(
        'AUTHROCKET_JWT_KEY (authrocket.jwtKey)',
        `is not usable: ${(error as Error).message}`,
        "Copy the JWT key from your realm's Integration page, or leave it out to fetch keys from the realm's JWKS",
      )
    }
  }

  const cookieName = options.cookie === undefined ? 'arToken' : options.cookie === false ? null : options.cookie
  if (cookieName !== null && (typeof cookieName !== 'string' || !COOKIE_NAME.test(cookieName))) {
    fail('cookie', `must be a cookie name made of letters, digits and !#$%&'*+-.^_\`|~, or false (got ${JSON.stringify(options.cookie)})`, "Use the default 'arToken' unless it clashes with another cookie")
  }

  const co = options.cookieOptions ?? {}
  if (co.secure !== undefined && co.secure !== 'auto' && typeof co.secure !== 'boolean') {
    fail('cookieOptions.secure', "must be true, false or 'auto'", "Use 'auto' (the default) to follow the request's protocol")
  }
  if (co.sameSite !== undefined && !['lax', 'strict', 'none'].includes(co.sameSite)) {
    fail('cookieOptions.sameSite', "must be 'lax', 'strict' or 'none'", "'lax' (the default) lets the login redirect set the cookie")
  }
  if (co.sameSite === 'none' && co.secure === false) {
    fail('cookieOptions.sameSite', "'none' needs a Secure cookie", "Set cookieOptions.secure to true or 'auto'")
  }
  if (co.path !== undefined && (typeof co.path !== 'string' || !co.path.startsWith('/'))) {
    fail('cookieOptions.path', 'must start with /', "Leave it out to use '/'")
  }
  if (co.domain !== undefined && (typeof co.domain !== 'string' || !/^\.?[a-z0-9.-]+$/i.test(co.domain))) {
    fail('cookieOptions.domain', 'must be a host name', 'Leave it out to scope the cookie to the host that set it')
  }

  if (co.maxAge !== undefined && !(typeof co.maxAge === 'number' && Number.isFinite(co.maxAge) && co.maxAge > 0)) {
    fail('cookieOptions.maxAge', 'must be a positive number of milliseconds', 'Leave it out to expire the cookie with the login token')
  }
  if (co.expires !== undefined && !(co.expires instanceof Date && !Number.isNaN(co.expires.getTime()))) {
    fail('cookieOptions.expires', 'must be a valid Date', 'Leave it out to expire the cookie with the login token')
  }

  const appUrl =
    options.appUrl === undefined
      ? null
      : parseOrigin(options.appUrl, 'appUrl', "Give the app's public origin, e.g. https://app.example.com, or leave it out", false)

  const bindTokens = options.bindTokens ?? true
  if (typeof bindTokens !== 'boolean') {
    fail('bindTokens', `must be true or false (got ${JSON.stringify(options.bindTokens)})`, 'Leave it out to keep logins bound to the browser that started them')
  }

  const logger = options.logger ?? console
  if (typeof logger.warn !== 'function') fail('logger', 'must have a warn(message) method', 'Pass console or a pino logger')

  return {
    loginrocketUrl,
    loginrocketLinks,
    issuer,
    staticKey,
    cookieName,
    cookie: {
      secure: co.secure ?? 'auto',
      httpOnly: co.httpOnly ?? true,
      sameSite: co.sameSite ?? 'lax',
      path: co.path ?? '/',
      ...(co.domain === undefined ? {} : { domain: co.domain }),
      ...(co.maxAge === undefined ? {} : { maxAge: co.maxAge }),
      ...(co.expires === undefined ? {} : { expires: co.expires }),
    },
    appUrl,
    bindTokens,
    logger,
  }
}
