/** Stable error codes, each with the HTTP status it maps to. */
export const ERROR_STATUS = {
  bad_request: 400,
  too_many_fields: 400,
  invalid_setting: 400,
  invalid_redirect_uri: 400,
  csrf_failed: 403,
  forbidden: 403,
  session_ended: 401,
  /** POST /connect/renew: the token expired longer ago than the realm's renew_grace_minutes. */
  token_too_old: 401,
  invalid_token: 401,
  not_found: 404,
  realm_not_found: 404,
  form_too_large: 413,
  unsupported_form: 415,
  rate_limited: 429,
  database_unavailable: 503,
  /** A failure on the server's side that says nothing about the request (POST /connect/renew): try again later. */
  unavailable: 503,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

/**
 * An expected failure with a stable code; its message is safe to show to whoever caused it. `headers` go on the
 * answer with it (a 401's `WWW-Authenticate`, a 429's `Retry-After`), set by the one error handler.
 */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly details: Record<string, unknown> | undefined
  readonly headers: Readonly<Record<string, string>>

  constructor(
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(message)
    this.name = 'AppError'
    this.code = code
    this.status = ERROR_STATUS[code]
    this.details = details
    this.headers = headers
  }
}
