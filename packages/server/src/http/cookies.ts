import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { AppEnv } from './env.js'

/** On https, the `__Host-` prefix pins the cookie to this exact origin; it requires Secure and path=/. */
function names(c: Context<AppEnv>) {
  const secure = c.get('loginrocketUrl').startsWith('https:')
  return { secure, session: secure ? '__Host-lr_session' : 'lr_session', csrf: secure ? '__Host-lr_csrf' : 'lr_csrf' }
}

export function readSessionCookie(c: Context<AppEnv>): string | undefined {
  return getCookie(c, names(c).session)
}

export function writeSessionCookie(c: Context<AppEnv>, secret: string, expires: Date): void {
  const { secure, session } = names(c)
  setCookie(c, session, secret, { httpOnly: true, secure, sameSite: 'Lax', path: '/', expires })
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  const { secure, session } = names(c)
  deleteCookie(c, session, { path: '/', secure })
}

export function readCsrfCookie(c: Context<AppEnv>): string | undefined {
  return getCookie(c, names(c).csrf)
}

export function writeCsrfCookie(c: Context<AppEnv>, value: string): void {
  const { secure, csrf } = names(c)
  setCookie(c, csrf, value, { httpOnly: true, secure, sameSite: 'Lax', path: '/' })
}

/** The admin portal's cookie: SameSite=Strict, so no other site's link or form ever carries it. */
function adminCookie(c: Context<AppEnv>) {
  const secure = c.get('loginrocketUrl').startsWith('https:')
  return { secure, name: secure ? '__Host-airlock_admin' : 'airlock_admin' }
}

export function readAdminCookie(c: Context<AppEnv>): string | undefined {
  return getCookie(c, adminCookie(c).name)
}

/** A session cookie (no expiry): the server ends idle sessions, and the browser forgets it when closed. */
export function writeAdminCookie(c: Context<AppEnv>, secret: string): void {
  const { secure, name } = adminCookie(c)
  setCookie(c, name, secret, { httpOnly: true, secure, sameSite: 'Strict', path: '/' })
}

export function clearAdminCookie(c: Context<AppEnv>): void {
  const { secure, name } = adminCookie(c)
  deleteCookie(c, name, { path: '/', secure })
}
