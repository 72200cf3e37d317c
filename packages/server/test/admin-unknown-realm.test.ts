// Every page of a realm in the portal finds its realm the same way (routes/admin/request.ts): an unknown realm,
// or an id longer than any we make, is the portal's 404 page, after the admin check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REALM_PAGES } from '../src/views/pages/admin-realm-nav.js'
import { Client } from './support/client.js'
import { startServer, type TestServer } from './support/server.js'

const EMAIL = 'unknown-realm-admin@example.com'
const PASSWORD = 'admin password 123'

describe('a realm the portal does not have (sqlite)', () => {
  let server: TestServer

  beforeAll(async () => {
    server = await startServer({ dialect: 'sqlite' })
    const { services } = server.booted
    expect((await services.admins.create(EMAIL, PASSWORD, PASSWORD, services.clock())).ok).toBe(true)
  })
  afterAll(() => server.close())

  const pagesOf = (id: string) => [...REALM_PAGES.map((page) => `/admin/realms/${id}/${page.path}`), `/admin/realms/${id}/users/usr_x`, `/admin/realms/${id}/accounts/org_x`, `/admin/realms/${id}/mail/1`]

  it('is not found on any of its pages, whether the id is unknown or too long to be one', async () => {
    const client = new Client(server)
    await client.get('/admin/login')
    expect((await client.post('/admin/login', { email: EMAIL, password: PASSWORD })).status).toBe(303)
    for (const path of [...pagesOf('rl_unknown'), ...pagesOf('x'.repeat(101))]) {
      const res = await client.get(path)
      expect(res.status, path).toBe(404)
      expect(client.browser.lastHtml, path).toContain('There is no realm with this ID.')
    }
  })

  it('sends a browser without an admin session to log in first, before looking the realm up', async () => {
    for (const path of pagesOf('rl_unknown')) {
      const res = await new Client(server).get(path)
      expect(res.status, path).toBe(303)
      expect(res.headers.get('location'), path).toBe('/admin/login')
    }
  })
})
