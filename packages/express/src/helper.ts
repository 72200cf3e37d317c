import type { Request, Response } from 'express'
import { selectedMembership, sessionFromClaims, userFromClaims } from './claims.js'
import type { Context } from './context.js'
import { ensureNonce } from './handoff.js'
import { LOGIN_PARAMS, loginrocketLink, requestOrigin } from './request-url.js'
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

  /** The membership of the selected account (org), else the first; null when there is none. */
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

  /**
   * Manage one account: `params.id` (taken out of the query), else the current account's; with neither, the
   * account list (`arAccountsUrl(params)`).
   */
  arAccountUrl(params?: UrlParams): string {
    const rest = { ...params }
    const id = rest.id || this.currentOrg?.id
    if (!id) return this.arAccountsUrl(rest)
    delete rest.id
    return this.#toToken(`/accounts/${encodeURIComponent(String(id))}`, rest)
  }

  /**
   * Switch accounts: the list, with `force=1` so that it shows even with one account; `force` that is
   * explicitly falsy leaves it out. `force` keeps its place when the caller gave it, else comes last.
   */
  arAccountsUrl(params?: UrlParams): string {
    const query = { ...params }
    if (query.force || query.force === undefined) query.force = 1
    else delete query.force
    return this.#toToken('/accounts', query)
  }

  /** Ends the LoginRocket session too; `fullLogout` sends the browser here. `session` comes after `params`. */
  arLogoutUrl(params?: UrlParams): string {
    const id = this.currentSession?.id
    return this.#lr('/logout', id ? { ...params, session: id } : params)
  }

  /**
   * This request's address as a `URL` (it prints as the address in templates and links), or `uri` resolved
   * against the app's origin.
   */
  requestUri(uri?: string): URL {
    const origin = requestOrigin(this.#req, this.#ctx.options.appUrl)
    if (uri) return new URL(uri, `${origin}/`)
    // Appended, not resolved: a request for `//other.example/` stays on this app's host.
    const path = this.#req.originalUrl
    return new URL(origin + (path.startsWith('/') ? path : '/'))
  }

  /**
   * This page's address, safe to come back to after login: without `token`, `session` and `account`. Not for
   * a POST or other non-GET: its address may have no page, so the app's root instead.
   */
  safeThisUri(): string {
    const method = this.#req.method
    if (method !== 'GET' && method !== 'HEAD') return this.appRootUri()
    const uri = this.requestUri()
    for (const name of LOGIN_PARAMS) uri.searchParams.delete(name)
    return uri.href
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
    return loginrocketLink(this.#ctx.options.loginrocketLinks, path, params)
  }
}
