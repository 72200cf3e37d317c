import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { Logger } from 'pino'
import { AppError } from '../errors/app-error.js'
import { MessagePage } from '../views/pages/message.js'
import type { AppEnv } from './env.js'

const UNAVAILABLE = 'Logins are unavailable for a moment. Try again in a minute.'

/** True for failures of the database connection itself (as opposed to a bad query). */
export function isDatabaseDown(error: unknown): boolean {
  const e = error as { code?: string; message?: string }
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', 'SQLITE_BUSY', 'SQLITE_IOERR', 'SQLITE_CANTOPEN'].includes(
      e?.code ?? '',
    ) || /Connection terminated|timeout exceeded when trying to connect|The database connection is not open/i.test(e?.message ?? '')
  )
}

/** Maps every error to an answer, in one place: a page for browsers, JSON for the /connect API. No stack traces. */
export function errorHandler(logger: Logger) {
  return function onError(error: Error, c: Context<AppEnv>): Response | Promise<Response> {
    const wantsJson = c.req.path.startsWith('/connect/') || c.req.path === '/healthz'
    let appError: AppError
    if (error instanceof AppError) appError = error
    else if (error instanceof HTTPException && error.status === 413) appError = new AppError('bad_request', 'That form was too large to send.')
    else if (error instanceof HTTPException && error.status < 500) appError = new AppError('bad_request', 'That request could not be read.')
    else if (isDatabaseDown(error)) {
      logger.error({ err: { message: error.message, code: (error as { code?: string }).code } }, 'database unavailable')
      appError = new AppError('database_unavailable', UNAVAILABLE)
    } else {
      logger.error({ err: error }, 'unexpected error')
      return wantsJson ? c.json({ error: 'internal_error', message: 'Something went wrong.' }, 500) : page(c, 500, 'Something went wrong', 'Please try again.')
    }
    if (appError.code === 'database_unavailable') c.header('Retry-After', '30')
    if (wantsJson) return c.json({ error: appError.code, message: appError.message }, appError.status as 400)
    return page(c, appError.status, titleFor(appError), appError.message)
  }
}

function titleFor(error: AppError): string {
  switch (error.code) {
    case 'invalid_redirect_uri':
      return 'This link can’t be used'
    case 'csrf_failed':
      return 'Please try again'
    case 'realm_not_found':
    case 'not_found':
      return 'Page not found'
    case 'rate_limited':
      return 'Too many attempts'
    case 'database_unavailable':
      return 'Temporarily unavailable'
    default:
      return 'Something is wrong with that request'
  }
}

function page(c: Context<AppEnv>, status: number, title: string, message: string): Response | Promise<Response> {
  c.header('Cache-Control', 'no-store')
  const realm = c.get('realm')
  if (!realm) return c.text(`${title}: ${message}`, status as 400)
  return c.html(
    <MessagePage realm={realm} title={title}>
      <p>{message}</p>
    </MessagePage>,
    status as 400,
  )
}
