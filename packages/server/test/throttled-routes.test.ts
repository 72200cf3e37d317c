import { expect, it } from 'vitest'
import { createApp } from '../src/app.js'
import { startServer } from './support/server.js'

/**
 * Each route declares its own rate limit (`throttled(rule)` in front of it), so the list is read from the app
 * itself: a limit dropped from a route, or a route renamed from under its limit, fails here.
 */
it('throttles exactly the forms that check a password, create an account or send a mail, and not /reset', async () => {
  const server = await startServer({ dialect: 'sqlite' })
  try {
    const app = createApp(server.booted.services, { trustProxy: false, csrfKey: server.booted.csrfKey })
    const throttled = app.routes
      .filter((route) => route.handler.name === 'throttled')
      .map((route) => `${route.method} ${route.path}`)
    expect(throttled.sort()).toEqual(
      [
        'POST /admin/login',
        'POST /login',
        'POST /signup',
        'POST /forgot',
        'POST /verify/resend',
        'POST /profile/email',
        'POST /profile/password',
        'POST /accounts/:org_id/invitations',
        'POST /accounts/:org_id/invitations/:id/resend',
      ].sort(),
    )
  } finally {
    await server.close()
  }
})
