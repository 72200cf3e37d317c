import { Hono } from 'hono'
import type { AppEnv } from '../../http/env.js'
import { realmAlg } from '../../services/keys.js'
import { issuerOf } from '../../services/tokens.js'

/**
 * GET /.well-known/openid-configuration: how an app's middleware learns the realm's issuer (which a realm may set
 * to AuthRocket's `https://authrocket.com`) and where its keys are. Only what that needs, in OpenID's names;
 * cached as briefly as the JWKS, so a change of issuer reaches apps within a minute.
 */
export function discoveryRoutes() {
  const app = new Hono<AppEnv>()
  app.get('/.well-known/openid-configuration', (c) => {
    const realm = c.get('realm')
    const origin = new URL(c.get('loginrocketUrl')).origin
    c.header('Cache-Control', 'public, max-age=60')
    return c.json({
      issuer: issuerOf(realm, origin),
      authorization_endpoint: `${origin}/login`,
      jwks_uri: `${origin}/connect/jwks`,
      id_token_signing_alg_values_supported: [realmAlg(realm)],
      subject_types_supported: ['public'],
    })
  })
  return app
}
