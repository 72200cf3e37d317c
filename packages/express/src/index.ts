import './express-types.js'

export { arMiddleware } from './middleware.js'
export { cookieParser } from './cookie-parser.js'
export { fullLogout, localLogout } from './logout.js'
export { requireLogin, requirePermission } from './guards.js'
export { AuthRocket, type Login } from './helper.js'
export type { ArCookieOptions, ArMiddlewareOptions, Logger } from './options.js'
export type { Membership, Org, PermissionMatcher, Session, TokenClaims, TokenOrg, UrlParams, User } from './types.js'
