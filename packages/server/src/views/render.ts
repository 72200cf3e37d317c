import type { Context } from 'hono'
import { html } from 'hono/html'
import type { JSX } from 'hono/jsx/jsx-runtime'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * Every HTML answer goes through here, so every page starts with the doctype: without it browsers lay pages out in
 * quirks mode. Takes only the context's `html` so that views stay below http/ (a route passes its `c`).
 */
export function renderPage(c: Pick<Context, 'html'>, page: JSX.Element, status?: ContentfulStatusCode): Response | Promise<Response> {
  return c.html(html`<!doctype html>${page}`, status)
}
