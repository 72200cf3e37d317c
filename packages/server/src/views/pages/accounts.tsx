import type { MembershipWithOrg } from '../../domain/account.js'
import type { Realm } from '../../domain/realm.js'
import type { FieldErrors } from '../../domain/validation.js'
import { Field, Form, Notice } from '../form.js'
import { Layout } from '../layout.js'

export interface AccountsPageProps {
  realm: Realm
  csrf: string
  accounts: MembershipWithOrg[]
  hidden: Record<string, string | undefined>
  errors?: FieldErrors
  accountName?: string
  notice?: string | undefined
}

/**
 * The user's accounts, each a button that switches to it and a link to its page (members, leaving); in
 * multi-user realms, a form for another.
 */
export function AccountsPage({ realm, csrf, accounts, hidden, errors = {}, accountName = '', notice }: AccountsPageProps) {
  const { redirect_uri: redirectUri, nonce } = hidden
  const back = new URLSearchParams({ ...(redirectUri ? { redirect_uri: redirectUri } : {}), ...(nonce ? { nonce } : {}) }).toString()
  const carry = back ? `?${back}` : ''
  return (
    <Layout realm={realm} title="Choose an account">
      {notice ? <Notice kind="info">{notice}</Notice> : null}
      {accounts.length === 0 ? <p>You don’t belong to an account yet.</p> : null}
      <ul class="accounts">
        {accounts.map((membership) => (
          <li>
            <Form csrf={csrf} action="/accounts/choose" hidden={{ ...hidden, org_id: membership.orgId }}>
              <button type="submit" class={membership.selected ? 'account current' : 'account'} aria-current={membership.selected ? 'true' : undefined}>
                {membership.org.name}
                {membership.selected ? <span class="badge"> (current)</span> : null}
              </button>
            </Form>
            <a class="manage" href={`/accounts/${encodeURIComponent(membership.orgId)}${carry}`} aria-label={`Manage ${membership.org.name}`}>
              Manage
            </a>
          </li>
        ))}
      </ul>
      {realm.settings.org_mode === 'multi_user' ? (
        <section aria-labelledby="new-account">
          <h2 id="new-account">Create another account</h2>
          <Form csrf={csrf} action="/accounts/new" hidden={hidden}>
            <Field name="account_name" label="Account name" value={accountName} errors={errors} autocomplete="organization" required />
            <button type="submit" class="secondary">Create account</button>
          </Form>
        </section>
      ) : null}
    </Layout>
  )
}
