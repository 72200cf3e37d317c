import type { Request, Response } from 'express'
import { selectedMembership, sessionFromClaims, userFromClaims } from './claims.js'
import type { Context } from './context.js'
import { ensureNonce } from './handoff.js'
import { LOGIN_PARAMS, requestOrigin, withoutParams, withParams } from './request-url.js'
import type { Membership, Org, PermissionMatcher, Session, TokenClaims, UrlParams, User } from './types.js'

/** The login this request carries, if any. */
export interface Login {
  token: string
  claims: TokenClaims
}

function matches(permission: string, matcher: PermissionMatcher): boolean {
  if (typeof matcher === 'string') return permission === matcher
  matcher.lastIndex = 0
  return matcher.test(permission)
}

/**
 * `req.authrocket` and `res.locals.authrocket`: the current session, user, account and
 * membership, and links to LoginRocket. Objects are built on first use, once per request.
 */
export class AuthRocket {
  #ctx: Context
  #req: Request
  #res: Response
  #login: Login | null
  #user: User | null | undefined
  #session: Session | null | undefined
  /** Why a presented token was refused (for `WWW-Authenticate`); null when none was or it was fine. */
  readonly tokenError: string | null

  constructor(ctx: Context, req: Request, res: Response, login: Login | null, tokenError: string | null = null) {
    this.#ctx = ctx
    this.#req = req
    this.#res = res
    this.#login = login
    this.tokenError = tokenError
  }

  /** The current LoginRocket session, or null when nobody is logged in. */
  get currentSession(): Session | null {
    if (this.#session === undefined) {
      const user = this.currentUser
      this.#session = user && this.#login ? sessionFromClaims(this.#login.claims, this.#login.token, user) : null
    }
    return this.#session
  }

  /** The logged-in user, or null. */
  get currentUser(): User | null {
    if (this.#user === undefined) this.#user = this.#login ? userFromClaims(this.#login.claims) : null
    return this.#user
  }

  /** The membership of the selected account (org), or null. */
  get currentMembership(): Membership | null {
    const user = this.currentUser
    return user ? selectedMembership(user) : null
  }

  /** The selected account (org), or null. */
  get currentOrg(): Org | null {
    return this.currentMembership?.org ?? null
  }

  /** True when the current membership holds any one of the permissions (names or patterns). */
  hasPermission(...permissions: PermissionMatcher[]): boolean {
    const held = this.currentMembership?.permissions ?? []
    return permissions.flat().some((wanted) => held.some((permission) => matches(permission, wanted)))
  }

  arLoginUrl(params?: UrlParams): string {
    return this.#toToken('/login', params)
  }

  arSignupUrl(params?: UrlParams): string {
    return this.#toToken('/signup', params)
  }

  arProfileUrl(params?: UrlParams): string {
    return this.#toToken('/profile', params)
  }

  /** Manage the current account; the account list when none is selected. */
  arAccountUrl(params?: UrlParams): string {
    const org = this.currentOrg
    return this.#toToken(org ? `/accounts/${encodeURIComponent(org.id)}` : '/accounts', params)
  }

  /** Switch accounts. */
  arAccountsUrl(params?: UrlParams): string {
    return this.#toToken('/accounts', params)
  }

  /** Ends the LoginRocket session too; `fullLogout` sends the browser here. */
  arLogoutUrl(params?: UrlParams): string {
    const session = this.#login?.claims.sid
    return this.#lr('/logout', { ...(typeof session === 'string' ? { session } : {}), ...params })
  }

  /** The absolute URL of this request, or of `uri` resolved against it. */
  requestUri(uri?: string): string {
    const here = requestOrigin(this.#req, this.#ctx.options.appUrl) + this.#req.originalUrl
    return uri === undefined ? here : new URL(uri, here).href
  }

  /** This page's URL, safe to come back to after login: GETs only (else the app's root), without login parameters. */
  safeThisUri(): string {
    const method = this.#req.method
    if (method !== 'GET' && method !== 'HEAD') return this.appRootUri()
    return requestOrigin(this.#req, this.#ctx.options.appUrl) + withoutParams(this.#req.originalUrl, LOGIN_PARAMS)
  }

  /** The app's root URL. */
  appRootUri(): string {
    return `${requestOrigin(this.#req, this.#ctx.options.appUrl)}/`
  }

  /** Forgets the login in this app only: clears the cookie; the request is anonymous from here on. */
  logout(): void {
    this.#ctx.clearCookie(this.#req, this.#res)
    this.#login = null
    this.#user = null
    this.#session = null
  }

  /** A LoginRocket page that may send the browser back with `?token=`: it carries this browser's nonce. */
  #toToken(path: string, params: UrlParams | undefined): string {
    const nonce = ensureNonce(this.#ctx.options, this.#req, this.#res)
    return this.#lr(path, nonce === null ? params : { ...params, nonce })
  }

  #lr(path: string, params: UrlParams | undefined): string {
    return withParams(this.#ctx.options.loginrocketUrl + path, params)
  }
}
