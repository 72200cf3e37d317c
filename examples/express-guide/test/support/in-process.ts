import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Express } from 'express'
import { SignJWT } from 'jose'
import { exampleDir } from './processes.js'

const require = createRequire(import.meta.url)

/**
 * Loads one of the example's entry files in this process, as an e2e test or another app would
 * (`require('./app')`), after setting `env`. Modules of the example are loaded afresh each time.
 */
export function loadApp(file: 'app.js' | 'app-direct.js', env: Record<string, string | undefined>): Express {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(exampleDir) && !key.includes('node_modules')) delete require.cache[key]
  }
  return require(join(exampleDir, file)) as Express
}

export interface Served {
  url: string
  close(): Promise<void>
}

export async function serve(app: Express): Promise<Served> {
  const server: Server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

export interface Person {
  id: string
  first: string
  last: string
  email: string
  /** The selected account (org) and the membership's permissions. */
  org?: { id: string; name: string; permissions?: string[] }
}

/**
 * A login token as LoginRocket issues it (DESIGN §2 claims), signed with an HS256 secret. The server
 * doesn't create accounts (orgs) yet; these tokens carry one, so the app's account handling can be tested now.
 */
export function tokenFor(person: Person, { issuer, secret, nonce }: { issuer: string; secret: string; nonce?: string }): Promise<string> {
  const orgs = person.org
    ? [{ mid: `mb_${person.id}_${person.org.id}`, oid: person.org.id, name: person.org.name, perm: person.org.permissions ?? [], selected: true }]
    : undefined
  return new SignJWT({
    rid: 'rl_example',
    sid: `kss_${person.id}`,
    given_name: person.first,
    family_name: person.last,
    name: `${person.first} ${person.last}`,
    email: person.email,
    email_verified: true,
    ...(orgs ? { orgs } : {}),
    ...(nonce ? { nonce } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(issuer)
    .setSubject(`usr_${person.id}`)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret))
}
