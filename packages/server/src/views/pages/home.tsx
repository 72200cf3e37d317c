import type { Realm } from '../../domain/realm.js'
import { Layout } from '../layout.js'

export interface HomePageProps {
  realm: Realm
  /** Whether the admin portal is on this host (the server's own URL); a realm's own domain doesn't reveal it. */
  adminPortal: boolean
}

/** The realm host's root: where its hosted pages are. Says no more than the login page does. */
export function HomePage({ realm, adminPortal }: HomePageProps) {
  const signup = realm.settings.signup === 'open'
  return (
    <Layout realm={realm} title="Welcome">
      <p>{signup ? `Log in to your ${realm.name} account, or create one.` : `Log in to your ${realm.name} account.`}</p>
      <nav class="links" aria-label="Your account">
        <a href="/login">Log in</a>
        {signup ? <a href="/signup">Create an account</a> : null}
        {adminPortal ? <a href="/admin">Admin portal</a> : null}
      </nav>
    </Layout>
  )
}
