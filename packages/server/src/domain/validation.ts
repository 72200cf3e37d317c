/** Field name → what to fix; empty when the form is fine. */
export type FieldErrors = Record<string, string>

export type Outcome<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors }

export const EMAIL_MAX = 254
// Controls, line separators and invisible format characters (zero-width spaces and joiners, bidi marks),
// which would let two addresses or names look identical.
const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u
// Deliberately plain: one @, no spaces or controls, a dot in the domain. Mail delivery is the real test.
// No `/` or `:` either (no address in use has them; RFC 5322 allows `:` only quoted): with them an address
// like `http://evil.example/x@example.com` reads as a link in the mails that quote it.
const EMAIL = /^[^\s@/:]+@[^\s@/:]+\.[^\s@/:]+$/u

/** The email as stored: NFKC-normalised and trimmed (case is kept for display, compared folded). */
export function cleanEmail(raw: string): string {
  return raw.normalize('NFKC').trim()
}

export function emailProblem(email: string): string | null {
  if (email === '') return 'Enter your email address.'
  if (email.length > EMAIL_MAX) return `An email address has at most ${EMAIL_MAX} characters.`
  if (CONTROL.test(email) || !EMAIL.test(email)) return 'Enter an email address like name@example.com.'
  return null
}

/** A name or similar short text: trimmed, no control characters. */
export function textProblem(value: string, label: string, required: boolean, max = 100): string | null {
  if (value === '') return required ? `Enter your ${label}.` : null
  if (value.length > max) return `Your ${label} can have at most ${max} characters.`
  if (CONTROL.test(value)) return `Your ${label} contains characters that are not allowed.`
  return null
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,38}[a-z0-9]$/i

export function usernameProblem(value: string, required: boolean): string | null {
  if (value === '') return required ? 'Choose a username.' : null
  if (!USERNAME.test(value)) return 'Use 3 to 40 letters, digits, dots, dashes or underscores.'
  return null
}

/** A form field as text: missing, repeated or non-string values become '' (they can't be valid input). */
export function field(form: Record<string, unknown>, name: string, trim = true): string {
  const value = form[name]
  if (typeof value !== 'string') return ''
  return trim ? value.trim() : value
}

/** A multi-valued form field (checkboxes, sent as `name[]`) as trimmed texts; anything but text is dropped. */
export function listField(form: Record<string, unknown>, name: string): string[] {
  const value = form[`${name}[]`]
  const values: unknown[] = Array.isArray(value) ? value : value === undefined ? [] : [value]
  return values.filter((v): v is string => typeof v === 'string').map((v) => v.trim())
}
