import type { Context } from 'hono'
import type { Realm } from '../../domain/realm.js'
import { AppError } from '../../errors/app-error.js'
import type { AppEnv } from '../../http/env.js'
import type { Services } from '../../services/index.js'
import type { RealmRow } from '../../views/pages/admin-home.js'

/** Longer than any id we make: such a path names no realm, and is not worth a query. */
const ID_MAX = 100

/** The realm a portal address names (`/admin/realms/:id/...`); a 404 when there is none. */
export async function realmOfPath(c: Context<AppEnv>, services: Services): Promise<Realm> {
  const id = c.req.param('id') ?? ''
  const realm = id.length <= ID_MAX ? await services.realms.byId(id) : null
  if (!realm) throw new AppError('not_found', 'There is no realm with this ID.')
  return realm
}

/** The signed-in admin as the portal's pages show them: their email, and the CSRF token for their forms. */
export const signedInAdmin = (c: Context<AppEnv>) => ({ email: c.get('admin').admin.email, csrf: c.get('csrf') })

/** A realm as the portal's pages list it: with the LoginRocket URL its apps use. */
export const realmRow = (services: Services, realm: Realm): RealmRow => ({ id: realm.id, name: realm.name, loginrocketUrl: services.loginrocketUrlOf(realm) })
