import type { MiddlewareHandler } from 'hono'
import { AppError } from '../errors/app-error.js'
import type { AppEnv } from './env.js'

/**
 * The largest form body taken. The largest form there is, the portal's realm settings, stays under 25 KiB even
 * with 100 permissions of 62 characters in each of its three lists; everything else is a few hundred bytes.
 */
export const FORM_MAX_BYTES = 64 * 1024
/** The most fields a form may have: the account pages' permission checkboxes (at most 100) and a few more. */
export const FORM_MAX_FIELDS = 200

const AMPERSAND = 0x26

const tooLarge = () => new AppError('form_too_large', 'That form was too large to send.')

/** The body, read until it passes `max` bytes (then refused): a chunked body has no length to check first. */
async function readAtMost(body: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.length
    if (size > max) throw tooLarge()
    chunks.push(value)
  }
  return Buffer.concat(chunks, size)
}

/**
 * Caps every request body (all of them are forms; /connect/renew takes none) before anything parses it: the CSRF check
 * and the rate limiter read forms before the routes do, and parsing 190,000 fields took 2 s of CPU, stalling
 * every other request. Over FORM_MAX_BYTES: 413; a urlencoded form with more than FORM_MAX_FIELDS fields: 400;
 * multipart: 415 (no form here uploads files, so there is no reason to parse one).
 */
export function formLimit(): MiddlewareHandler<AppEnv> {
  return async function formLimit(c, next) {
    const body = c.req.raw.body
    if (!body) return next()
    // A refusal leaves the rest of the body unread: the connection closes after the answer instead of carrying
    // the client's next request behind it.
    c.header('Connection', 'close')
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
    if (type === 'multipart/form-data') {
      throw new AppError('unsupported_form', 'That form could not be read: it was sent as a file upload. Reload the page and try again.')
    }
    const declared = c.req.header('content-length')
    if (declared !== undefined && Number(declared) > FORM_MAX_BYTES) throw tooLarge()
    const bytes = await readAtMost(body, FORM_MAX_BYTES)
    c.header('Connection', undefined)
    if (type === 'application/x-www-form-urlencoded' && bytes.length > 0) {
      let fields = 1
      for (const byte of bytes) if (byte === AMPERSAND) fields++
      if (fields > FORM_MAX_FIELDS) throw new AppError('too_many_fields', 'That form could not be read: it has too many fields.')
    }
    // The bytes read stand in for the stream the parsers would have read.
    c.req.raw = new Request(c.req.raw, { body: bytes })
    await next()
  }
}
