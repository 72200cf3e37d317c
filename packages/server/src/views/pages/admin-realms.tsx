import { realmSettingsSchema, type RealmSettings } from '../../domain/realm.js'
import type { FieldErrors } from '../../domain/validation.js'
import { Field, Form, Notice } from '../form.js'
import { minuteTime } from '../format.js'
import { AdminLayout } from './admin-layout.js'
import type { RealmRow } from './admin-home.js'
import { RealmNav } from './admin-realm-nav.js'
import { adminUrl } from '../admin-urls.js'

type Admin = { email: string; csrf: string }

/** GET /admin/realms: every realm, and the form that creates one. */
export function AdminRealmsPage({ admin, realms, values = {}, errors = {}, status = 200 }: { admin: Admin; realms: RealmRow[]; values?: Record<string, string>; errors?: FieldErrors; status?: number }) {
  return (
    <AdminLayout title="Realms" signedIn={admin}>
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">LoginRocket URL</th>
            <th scope="col">ID</th>
            <th scope="col">Manage</th>
          </tr>
        </thead>
        <tbody>
          {realms.map((realm) => (
            <tr>
              <td>{realm.name}</td>
              <td>
                <code>{realm.loginrocketUrl}</code>
              </td>
              <td>
                <code>{realm.id}</code>
              </td>
              <td>
                <a href={adminUrl.realm(realm.id).settings}>Settings</a> · <a href={adminUrl.realm(realm.id).keys}>Keys</a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2 id="create">Create a realm</h2>
      {status !== 200 ? <Notice kind="error">The realm was not created. Check the fields below.</Notice> : null}
      <Form csrf={admin.csrf} action={adminUrl.realms}>
        <Field name="name" label="Name" value={values.name ?? ''} errors={errors} autocomplete="off" required />
        <Field
          name="loginrocket_url"
          label="LoginRocket URL"
          value={values.loginrocket_url ?? ''}
          errors={errors}
          autocomplete="off"
          required
          hint="An origin on the realm’s own host, such as https://login.example.com."
        />
        <button type="submit">Create realm</button>
      </Form>
    </AdminLayout>
  )
}

const s = realmSettingsSchema.shape
const FIELD_MODES = s.name_field.unwrap().options
/** The choices of every setting edited with a select. */
const ENUMS: Partial<Record<keyof RealmSettings, readonly string[]>> = {
  signup: s.signup.unwrap().options,
  org_mode: s.org_mode.unwrap().options,
  name_field: FIELD_MODES,
  username_field: FIELD_MODES,
  org_name_field: FIELD_MODES,
  email_verification: s.email_verification.unwrap().options,
  jwt_algo: s.jwt_algo.unwrap().options,
}

type Kind = 'text' | 'number' | 'url' | 'color'
interface SettingSpec {
  name: keyof RealmSettings
  label: string
  kind?: Kind
  hint?: string
  min?: number
  max?: number
}

/** Every realm setting, in the editor's order and groups. */
export const SETTING_GROUPS: { legend: string; settings: SettingSpec[] }[] = [
  {
    legend: 'Realm',
    settings: [
      { name: 'name', label: 'Name' },
      { name: 'login_urls', label: 'Login URLs', hint: 'Comma-separated URLs of your apps; LoginRocket only sends browsers (and tokens) to these.' },
    ],
  },
  {
    legend: 'Signup and accounts',
    settings: [
      { name: 'signup', label: 'Signup' },
      { name: 'org_mode', label: 'Account mode' },
      { name: 'name_field', label: 'Name field' },
      { name: 'username_field', label: 'Username field' },
      { name: 'org_name_field', label: 'Account name field' },
      { name: 'email_verification', label: 'Email verification' },
    ],
  },
  {
    legend: 'Tokens and sessions',
    settings: [
      { name: 'jwt_minutes', label: 'Token lifetime (minutes)', kind: 'number', min: 1, max: 1440, hint: '1 to 1440.' },
      {
        name: 'renew_grace_minutes',
        label: 'Renewal grace after expiry (minutes)',
        kind: 'number',
        min: 1,
        max: 30 * 24 * 60,
        hint: '1 to 43200. How long after it expires a token may still be renewed; empty: the token lifetime.',
      },
      { name: 'session_minutes', label: 'LoginRocket session lifetime (minutes)', kind: 'number', min: 5, max: 366 * 24 * 60, hint: '5 to 527040 (43200 is 30 days).' },
      { name: 'jwt_algo', label: 'Token algorithm' },
      { name: 'issuer', label: 'Issuer (iss)', hint: 'Empty: the realm’s LoginRocket URL.' },
    ],
  },
  {
    legend: 'Branding',
    settings: [
      { name: 'color', label: 'Colour', kind: 'color' },
      { name: 'logo_url', label: 'Logo URL', kind: 'url', hint: 'An http(s) image address; empty for none.' },
    ],
  },
  {
    legend: 'Permissions',
    settings: [
      { name: 'permissions', label: 'Named permissions', hint: 'Comma-separated; the account pages offer them as checkboxes.' },
      { name: 'new_owner_permissions', label: 'New owner permissions', hint: 'Comma-separated; what the creator of an account gets besides ar:owner.' },
      { name: 'new_member_permissions', label: 'New member permissions', hint: 'Comma-separated; what an invitation gives unless the inviter unticks it.' },
    ],
  },
]

/** A setting as the editor shows it: lists comma-separated, none as empty. */
export function settingText(value: RealmSettings[keyof RealmSettings]): string {
  if (value === null) return ''
  if (Array.isArray(value)) return value.join(', ')
  return String(value)
}

function SettingField({ spec, value, error }: { spec: SettingSpec; value: string; error: string | undefined }) {
  const id = `setting-${spec.name}`
  const describedBy = [spec.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined
  const common = { id, name: spec.name, 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': describedBy }
  const options = ENUMS[spec.name]
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for={id}>
        {spec.label} <code class="badge">{spec.name}</code>
      </label>
      {spec.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {spec.hint}
        </p>
      ) : null}
      {options ? (
        <select {...common}>
          {options.map((option) => (
            <option value={option} selected={option === value}>
              {option}
            </option>
          ))}
        </select>
      ) : (
        <input {...common} type={spec.kind ?? 'text'} value={value} min={spec.min} max={spec.max} autocomplete="off" />
      )}
      {error ? (
        <p class="error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  )
}

/** GET /admin/realms/:id/settings: every setting of one realm. */
export function AdminRealmSettingsPage({ admin, realm, values, errors = {}, saved }: { admin: Admin; realm: RealmRow; values: Record<string, string>; errors?: FieldErrors; saved?: boolean }) {
  const failed = Object.keys(errors).length > 0
  return (
    <AdminLayout title={`${realm.name}: settings`} signedIn={admin}>
      <p>
        LoginRocket URL <code>{realm.loginrocketUrl}</code> · ID <code>{realm.id}</code>
      </p>
      <RealmNav id={realm.id} current="settings" />
      {saved ? <Notice kind="info">Settings saved.</Notice> : null}
      {failed ? <Notice kind="error">Nothing was saved: {Object.values(errors)[0]}</Notice> : null}
      <Form csrf={admin.csrf} action={adminUrl.realm(realm.id).settings}>
        {SETTING_GROUPS.map((group) => (
          <fieldset class="settings">
            <legend>{group.legend}</legend>
            {group.settings.map((spec) => (
              <SettingField spec={spec} value={values[spec.name] ?? ''} error={errors[spec.name]} />
            ))}
          </fieldset>
        ))}
        <button type="submit">Save settings</button>
      </Form>
    </AdminLayout>
  )
}

export interface KeyRow {
  id: string
  alg: string
  createdAt: Date
  signsFrom: Date
  retireAt: Date | null
  published: boolean
  current: boolean
}

/** GET /admin/realms/:id/keys: the realm's live keys, and rotation. */
export function AdminKeysPage({ admin, realm, keys, rotated }: { admin: Admin; realm: RealmRow; keys: KeyRow[]; rotated?: boolean }) {
  return (
    <AdminLayout title={`${realm.name}: keys`} signedIn={admin}>
      <RealmNav id={realm.id} current="keys" />
      {rotated ? <Notice kind="info">A new key is published; it signs tokens 15 minutes from now, and the old one leaves once its tokens have expired.</Notice> : null}
      <table>
        <thead>
          <tr>
            <th scope="col">Key ID (kid)</th>
            <th scope="col">Algorithm</th>
            <th scope="col">Created</th>
            <th scope="col">Signs from</th>
            <th scope="col">Retires at</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr>
              <td>
                <code>{key.id}</code>
              </td>
              <td>{key.alg}</td>
              <td>{minuteTime(key.createdAt)}</td>
              <td>{minuteTime(key.signsFrom)}</td>
              <td>{key.retireAt ? minuteTime(key.retireAt) : '—'}</td>
              <td>{[key.current ? 'current' : '', key.published ? 'published' : 'not published'].filter(Boolean).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Rotate</h2>
      <p>
        Publishes a new key now and signs with it after 15 minutes (verifiers’ JWKS caches have seen it by then). The current key stays published until the last token
        it signed has expired.
      </p>
      <Form csrf={admin.csrf} action={`${adminUrl.realm(realm.id).keys}/rotate`}>
        <button type="submit" class="inline">
          Rotate
        </button>
      </Form>
    </AdminLayout>
  )
}
