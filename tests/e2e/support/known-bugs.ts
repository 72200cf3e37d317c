// Workarounds for open bugs that would otherwise stop every flow. Each has a test of its own that shows the
// bug (`it.fails`): when that test starts failing, the bug is fixed; delete the workaround and the `.fails`.
import type { BrowserContext } from 'playwright-core'

/**
 * KNOWN BUG (server): every hosted form posted by a real browser is refused with 403 "This form was sent from
 * another site".
 *
 * The hosted pages are sent with `Referrer-Policy: no-referrer` (header and `<meta name="referrer">`). Under that
 * policy the Fetch standard has browsers send `Origin: null` on every POST, same-origin ones included (Chromium
 * does; its `Sec-Fetch-Site` says `same-origin`). `csrfProtection` (packages/server/src/http/csrf.ts) refuses
 * any Origin but the LoginRocket URL, so login, signup, forgot, reset and profile forms never get through.
 *
 * Until it's fixed, this context's same-origin POSTs to the server are sent from Node (`route.fetch`, with the
 * context's cookies) with the Origin a browser sends under any other policy, and the answer (redirects and
 * cookies included) is handed back to the browser. Everything else goes out as the browser sent it.
 */
export async function workAroundNullOrigin(context: BrowserContext, airlockUrl: string): Promise<void> {
  await context.route(
    (url) => url.origin === airlockUrl,
    async (route) => {
      const request = route.request()
      const headers = await request.allHeaders()
      const sameOrigin = request.frame().url().startsWith(`${airlockUrl}/`)
      if (request.method() !== 'POST' || headers.origin !== 'null' || !sameOrigin) return route.continue()
      const response = await route.fetch({ headers: { ...headers, origin: airlockUrl }, maxRedirects: 0 })
      await route.fulfill({ response })
    },
  )
}
