import { createHmac, timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { newSecret } from '../crypto/ids.js'
import { AppError } from '../errors/app-error.js'
import { readCsrfCookie, writeCsrfCookie } from './cookies.js'
import type { AppEnv } from './env.js'

/**
 * CSRF protection for every form: each browser gets a random cookie, and each form carries an HMAC of it
 * under a server key. A cross-site page can neither read the cookie nor compute the HMAC. Unsafe requests
 * must also come from this origin when the browser says where they come from.
 */
export function csrfProtection(key: string): MiddlewareHandler<AppEnv> {
  const tokenFor = (cookie: string) => createHmac('sha256', key).update(cookie).digest('base64url')

  return async function csrfProtection(c, next) {
    let cookie = readCsrfCookie(c)
    if (!cookie || cookie.length > 100) {
      cookie = newSecret()
      writeCsrfCookie(c, cookie)
    }
    const expected = tokenFor(cookie)
    c.set('csrf', expected)

    if (c.req.method === 'POST' && !c.req.path.startsWith('/connect/')) {
      const origin = c.req.header('origin')
      if (origin !== undefined && origin !== c.get('loginrocketUrl')) {
        throw new AppError('csrf_failed', 'This form was sent from another site. Go back, reload the page and try again.')
      }
      const body = await c.req.parseBody()
      const sent = typeof body.csrf === 'string' ? Buffer.from(body.csrf) : Buffer.alloc(0)
      const wanted = Buffer.from(expected)
      if (sent.length !== wanted.length || !timingSafeEqual(sent, wanted)) {
        throw new AppError('csrf_failed', 'This form has expired. Reload the page and try again.')
      }
      // A field sent twice (`email=a&email=b`) is refused: the routes read one value (the last), and a proxy
      // or log that reads the first would disagree with them. Multi-valued fields are named `name[]`. A NUL
      // byte is refused too: nobody types one, and PostgreSQL can't store or even compare it.
      const all = await c.req.parseBody({ all: true })
      for (const [name, value] of Object.entries(all)) {
        if (Array.isArray(value) && !name.endsWith('[]')) {
          throw new AppError('bad_request', 'That form could not be read: a field was sent twice. Reload the page and try again.')
        }
        if (name.includes('\0') || [value].flat().some((v) => typeof v === 'string' && v.includes('\0'))) {
          throw new AppError('bad_request', 'That form could not be read: it contains characters that are not allowed.')
        }
      }
    }
    await next()
  }
}
