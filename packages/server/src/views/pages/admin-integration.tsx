import type { FieldErrors } from '../../domain/validation.js'
import { Field, Form } from '../form.js'
import { AdminLayout } from './admin-layout.js'
import { RealmNav } from './admin-realm-nav.js'
import { adminUrl } from '../admin-urls.js'

export interface IntegrationProps {
  email: string
  csrf: string
  realm: { id: string; name: string; loginUrls: readonly string[] }
  loginrocketUrl: string
  alg: 'RS256' | 'HS256'
  /** The RS256 public key (bare base64 SPKI) always; the HS256 secret only once revealed, else null. */
  jwtKey: string | null
  loginUrl?: string
  errors?: FieldErrors
  added?: string | undefined
}

/** A JavaScript string literal for a snippet (single-quoted, as the guide writes them). */
const jsString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

/** A snippet with its copy button (hidden until /assets/admin.js shows it: without JavaScript there is nothing to click). */
function Snippet({ id, label, text }: { id: string; label: string; text: string }) {
  return (
    <div class="snippet">
      <pre id={id} aria-label={label}>
        {text}
      </pre>
      <button type="button" class="inline secondary copy" data-copy={id} hidden>
        Copy
      </button>
    </div>
  )
}

/** Realm → Integration → Using LoginRocket → Node.js - Express: what the guide's "Get your LoginRocket credentials" asks for. */
export function AdminIntegrationPage({ email, csrf, realm, loginrocketUrl, alg, jwtKey, loginUrl = '', errors = {}, added }: IntegrationProps) {
  const hs = alg === 'HS256'
  const keyText = jwtKey ?? '<the secret: reveal it above>'
  const envSnippet = [
    `LOGINROCKET_URL=${loginrocketUrl}`,
    hs ? `AUTHROCKET_JWT_KEY=${keyText}   # required: this realm signs with HS256` : `AUTHROCKET_JWT_KEY=${keyText}   # optional`,
  ].join('\n')
  const directSnippet = [
    "const { arMiddleware } = require('@airlock/express')",
    '',
    'app.use(arMiddleware({',
    '  authrocket: {',
    `    loginrocketUrl: ${jsString(loginrocketUrl)}${hs ? ',' : ''}`,
    ...(hs ? ['    jwtKey: process.env.AUTHROCKET_JWT_KEY // the secret: keep it out of git'] : []),
    '  }',
    '}))',
  ].join('\n')
  return (
    <AdminLayout title={`${realm.name}: Integration`} signedIn={{ email, csrf }}>
      <RealmNav id={realm.id} current="integration" />
      <p>
        Using LoginRocket → <strong>Node.js - Express</strong>
      </p>

      <h2>LoginRocket URL</h2>
      <Snippet id="loginrocket-url" label="LOGINROCKET_URL" text={loginrocketUrl} />

      <h2>JWT key ({alg})</h2>
      {hs ? (
        jwtKey === null ? (
          <>
            <p>This realm signs its tokens with a shared secret: apps need it (AUTHROCKET_JWT_KEY), and anyone who has it can make tokens. It is hidden until you reveal it.</p>
            <form method="get" action={adminUrl.realm(realm.id).integration}>
              <input type="hidden" name="reveal" value="1" />
              <button type="submit" class="inline secondary">
                Reveal the secret
              </button>
            </form>
          </>
        ) : (
          <>
            <p>The shared secret. Keep it out of git and logs.</p>
            <Snippet id="jwt-key" label="AUTHROCKET_JWT_KEY" text={jwtKey} />
            <p>
              <a href={adminUrl.realm(realm.id).integration}>Hide the secret</a>
            </p>
          </>
        )
      ) : (
        <>
          <p>The realm’s public key (optional: without it, apps fetch the published keys from the LoginRocket URL).</p>
          <Snippet id="jwt-key" label="AUTHROCKET_JWT_KEY" text={keyText} />
        </>
      )}

      <h2>Using environment variables</h2>
      <Snippet id="env-snippet" label="Environment variables" text={envSnippet} />
      <p class="hint">{hs ? 'Both are required: this realm signs with HS256.' : 'Only LOGINROCKET_URL is required; AUTHROCKET_JWT_KEY is optional.'}</p>

      <h2>Using direct configuration</h2>
      <Snippet id="direct-snippet" label="Direct configuration" text={directSnippet} />

      <h2>Login URLs</h2>
      <p>Add your app’s URL to the realm’s Login URLs: after a login or signup, LoginRocket only sends people back to these. The first one is where they land when the app’s link doesn’t say where to return (the nav’s Signup link, say).</p>
      {realm.loginUrls.length > 0 ? (
        <ul class="login-urls">
          {realm.loginUrls.map((url) => (
            <li>
              <code>{url}</code>
            </li>
          ))}
        </ul>
      ) : (
        <p class="notice info">This realm has no Login URLs yet.</p>
      )}
      {added ? (
        <p class="notice info" role="status">
          Added {added}.
        </p>
      ) : null}
      <Form csrf={csrf} action={`${adminUrl.realm(realm.id).integration}/login-urls`}>
        <Field name="login_url" label="Your app’s URL" value={loginUrl} errors={errors} autocomplete="url" required hint="For example https://app.example.com or http://localhost:3000" />
        <button type="submit" class="inline">
          Add Login URL
        </button>
      </Form>
    </AdminLayout>
  )
}
