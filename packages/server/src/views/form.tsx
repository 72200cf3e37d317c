import type { Child } from 'hono/jsx'
import type { FieldErrors } from '../services/validation.js'

export interface FieldProps {
  name: string
  label: string
  type?: 'text' | 'email' | 'password'
  value?: string
  errors: FieldErrors
  autocomplete: string
  required?: boolean
  hint?: string
  autofocus?: boolean
}

/** A labelled input with its error beside it (announced to screen readers through aria-describedby). */
export function Field({ name, label, type = 'text', value, errors, autocomplete, required, hint, autofocus }: FieldProps) {
  const error = errors[name]
  const describedBy = [hint ? `${name}-hint` : '', error ? `${name}-error` : ''].filter(Boolean).join(' ') || undefined
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for={name}>{label}</label>
      {hint ? (
        <p class="hint" id={`${name}-hint`}>
          {hint}
        </p>
      ) : null}
      <input
        id={name}
        name={name}
        type={type}
        value={type === 'password' ? undefined : value}
        autocomplete={autocomplete}
        required={required}
        autofocus={autofocus}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy}
      />
      {error ? (
        <p class="error" id={`${name}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  )
}

/** A form with the CSRF token; posts to this page unless `action` says otherwise. */
export function Form({ csrf, action, children, hidden = {} }: { csrf: string; action?: string; children?: Child; hidden?: Record<string, string | undefined> }) {
  return (
    <form method="post" action={action} novalidate>
      <input type="hidden" name="csrf" value={csrf} />
      {Object.entries(hidden).map(([name, value]) => (value === undefined ? null : <input type="hidden" name={name} value={value} />))}
      {children}
    </form>
  )
}

/** A message above a form (a general error, or news such as "Check your email"). */
export function Notice({ kind, children }: { kind: 'error' | 'info'; children?: Child }) {
  return (
    <div class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  )
}
