import './express-types.js'

export { arMiddleware } from './middleware.js'
export { cookieParser } from './cookie-parser.js'
export { fullLogout, localLogout } from './logout.js'
export { requireLogin, requirePermission } from './guards.js'
// A type only: the middleware builds the helper; apps read it and never construct it.
export type { AuthRocket, Login } from './helper.js'
export type { ArCookieOptions, ArMiddlewareOptions, Logger } from './options.js'
export type { Membership, Org, PermissionMatcher, Session, TokenClaims, TokenOrg, UrlParams, User } from './types.js'
