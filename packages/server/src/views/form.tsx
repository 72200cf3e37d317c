import type { Child } from 'hono/jsx'
import type { FieldErrors } from '../domain/validation.js'

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
  /** Shown and sent, but not editable (an invitation's address). */
  readonly?: boolean
}

/** A labelled input with its error beside it (announced to screen readers through aria-describedby). */
export function Field({ name, label, type = 'text', value, errors, autocomplete, required, hint, autofocus, readonly }: FieldProps) {
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
        readonly={readonly}
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

export interface CheckboxesProps {
  /** The field's name without the `[]` it is sent as; also the key of its error. */
  name: string
  legend: string
  /** Prefix of the boxes' ids, unique on the page (several forms may have the same field). */
  idPrefix: string
  options: { value: string; label: string }[]
  checked: string[]
  errors: FieldErrors
}

/** A group of checkboxes sent as `name[]`, with its legend and its error (announced through aria-describedby). */
export function Checkboxes({ name, legend, idPrefix, options, checked, errors }: CheckboxesProps) {
  const error = errors[name]
  return (
    <fieldset class={error ? 'checks invalid' : 'checks'} aria-describedby={error ? `${idPrefix}-error` : undefined}>
      <legend>{legend}</legend>
      {options.map((option, i) => (
        <label class="check" for={`${idPrefix}-${i}`}>
          <input type="checkbox" id={`${idPrefix}-${i}`} name={`${name}[]`} value={option.value} checked={checked.includes(option.value)} />
          {option.label}
        </label>
      ))}
      {error ? (
        <p class="error" id={`${idPrefix}-error`}>
          {error}
        </p>
      ) : null}
    </fieldset>
  )
}

/** A tick box that confirms a destructive action (`confirm=yes`), with its error beneath. */
export function ConfirmBox({ errors, children }: { errors: FieldErrors; children?: Child }) {
  return (
    <div class={errors.confirm ? 'field invalid' : 'field'}>
      <label class="check" for="confirm">
        <input type="checkbox" id="confirm" name="confirm" value="yes" aria-describedby={errors.confirm ? 'confirm-error' : undefined} />
        {children}
      </label>
      {errors.confirm ? (
        <p class="error" id="confirm-error">
          {errors.confirm}
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
