import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { Logger } from 'pino'
import { AppError } from '../errors/app-error.js'
import { MessagePage } from '../views/pages/message.js'
import { renderPage } from '../views/render.js'
import type { AppEnv } from './env.js'

const UNAVAILABLE = 'Logins are unavailable for a moment. Try again in a minute.'

/** Error codes of a database that can't be reached, won't take a connection or can't write (node, PostgreSQL). */
const DOWN_CODES = new Set([
  // The network: refused, reset, unreachable, unresolvable, timed out.
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  // PostgreSQL: connection exceptions (08), shutdown or not ready yet (57P0x), and insufficient resources:
  // disk full (53100), out of memory (53200), too many connections (53300).
  '08000', '08001', '08003', '08004', '08006', '53100', '53200', '53300', '57P01', '57P02', '57P03',
])

/**
 * SQLite's, with their extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_WRITE...): locked by another process
 * past our patience (db/sqlite-dialect.ts), disk or database full, I/O failing, file gone.
 */
const SQLITE_DOWN = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN)(_|$)/

/** True for failures of the database connection itself (as opposed to a bad query). */
export function isDatabaseDown(error: unknown): boolean {
  const e = error as { code?: string; message?: string }
  const message = e?.message ?? ''
  return (
    DOWN_CODES.has(e?.code ?? '') ||
    SQLITE_DOWN.test(e?.code ?? '') ||
    // 55000 is "object not in prerequisite state"; with this message, the database refuses connections
    // (ALTER DATABASE ... ALLOW_CONNECTIONS false, or a database being dropped or renamed).
    (e?.code === '55000' && /is not currently accepting connections/.test(message)) ||
    /Connection terminated|timeout exceeded when trying to connect|not queryable|The database connection is not open/i.test(message)
  )
}

/**
 * True for PostgreSQL refusing text it can't hold (a NUL byte, a character the encoding lacks): the input's
 * fault, not the server's. Forms are checked for NUL at the door; this covers anything else (a path, a query).
 */
export function isUnstorableText(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code
  return code === '22021' || code === '22P05'
}

/** Maps every error to an answer, in one place: a page for browsers, JSON for the /connect API. No stack traces. */
export function errorHandler(logger: Logger) {
  return function onError(error: Error, c: Context<AppEnv>): Response | Promise<Response> {
    const wantsJson = c.req.path.startsWith('/connect/') || c.req.path === '/healthz'
    let appError: AppError
    if (error instanceof AppError) appError = error
    else if (error instanceof HTTPException && error.status === 413) appError = new AppError('form_too_large', 'That form was too large to send.')
    else if (error instanceof HTTPException && error.status < 500) appError = new AppError('bad_request', 'That request could not be read.')
    else if (isUnstorableText(error)) appError = new AppError('bad_request', 'That request could not be read: it contains characters that are not allowed.')
    else if (isDatabaseDown(error)) {
      logger.error({ err: { message: error.message, code: (error as { code?: string }).code } }, 'database unavailable')
      appError = new AppError('database_unavailable', UNAVAILABLE)
    } else {
      logger.error({ err: error }, 'unexpected error')
      return wantsJson ? c.json({ error: 'internal_error', message: 'Something went wrong.' }, 500) : page(c, 500, 'Something went wrong', 'Please try again.')
    }
    if (appError.status === 503) c.header('Retry-After', '30')
    for (const [name, value] of Object.entries(appError.headers)) c.header(name, value)
    if (wantsJson) return c.json({ error: appError.code, message: appError.message }, appError.status as 400)
    return page(c, appError.status, titleFor(appError), appError.message, linkOf(appError))
  }
}

/** A link the error offers as the way forward (e.g. a 429 login's "Forgot your password?"), if any. */
function linkOf(error: AppError): { href: string; text: string } | undefined {
  const link = error.details?.link as { href?: unknown; text?: unknown } | undefined
  return typeof link?.href === 'string' && typeof link.text === 'string' ? { href: link.href, text: link.text } : undefined
}

function titleFor(error: AppError): string {
  switch (error.code) {
    case 'invalid_redirect_uri':
      return 'This link can’t be used'
    case 'csrf_failed':
      return 'Please try again'
    case 'forbidden':
      return 'Not allowed'
    case 'realm_not_found':
    case 'not_found':
      return 'Page not found'
    case 'rate_limited':
      return 'Too many attempts'
    case 'form_too_large':
      return 'That form is too large'
    case 'database_unavailable':
    case 'unavailable':
      return 'Temporarily unavailable'
    default:
      return 'Something is wrong with that request'
  }
}

function page(c: Context<AppEnv>, status: number, title: string, message: string, link?: { href: string; text: string }): Response | Promise<Response> {
  c.header('Cache-Control', 'no-store')
  const realm = c.get('realm')
  if (!realm) return c.text(`${title}: ${message}`, status as 400)
  return renderPage(c,
    <MessagePage realm={realm} title={title} {...(link ? { link } : {})}>
      <p>{message}</p>
    </MessagePage>,
    status as 400,
  )
}
