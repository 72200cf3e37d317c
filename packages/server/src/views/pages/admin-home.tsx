import { AdminLayout } from './admin-layout.js'
import { adminUrl } from '../admin-urls.js'

export interface RealmRow {
  id: string
  name: string
  loginrocketUrl: string
}

/** The portal's home: who is signed in, and the realms with their LoginRocket URLs. */
export function AdminHomePage({ email, csrf, realms }: { email: string; csrf: string; realms: RealmRow[] }) {
  return (
    <AdminLayout title="Airlock" signedIn={{ email, csrf }}>
      <p>
        Signed in as <strong>{email}</strong>
      </p>
      <h2>Realms</h2>
      <p>
        <a href={adminUrl.realms}>Manage realms</a>: create one, edit its settings, rotate its keys.
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">ID</th>
            <th scope="col">LoginRocket URL</th>
            <th scope="col">Integration</th>
          </tr>
        </thead>
        <tbody>
          {realms.map((realm) => (
            <tr>
              <td>
                <a href={adminUrl.realm(realm.id).settings}>{realm.name}</a>
              </td>
              <td>
                <code>{realm.id}</code>
              </td>
              <td>
                <code>{realm.loginrocketUrl}</code>
              </td>
              <td>
                <a href={adminUrl.realm(realm.id).integration} aria-label={`Integration for ${realm.name}`}>
                  Integration
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </AdminLayout>
  )
}
