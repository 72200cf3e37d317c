import type { Request, Response } from 'express'
import { contextOf } from './context.js'
import type { AuthRocket } from './helper.js'
import { refusedTwice, stopLoginLoop } from './refusal.js'

/** API clients get status codes, browsers get pages: a bearer token, XHR or an Accept that prefers JSON. */
export function wantsJson(req: Request): boolean {
  if (req.headers.authorization !== undefined) return true
  if (req.headers['x-requested-with'] === 'XMLHttpRequest') return true
  const accept = req.headers.accept
  return accept !== undefined && accept.includes('json') && req.accepts(['html', 'json']) === 'json'
}

const quote = (value: string) => value.replace(/["\\]/g, '')

/** The answer to an anonymous request for a page that needs a login. */
export function loginRequired(req: Request, res: Response, ar: AuthRocket): void {
  res.set('Cache-Control', 'no-store')
  if (wantsJson(req)) {
    const error = ar.tokenError === null ? '' : `, error="invalid_token", error_description="${quote(ar.tokenError)}"`
    res.set('WWW-Authenticate', `Bearer realm="airlock"${error}`)
    res.status(401).json({ error: 'login_required', message: ar.tokenError ?? 'Log in to continue.' })
    return
  }
  const ctx = contextOf(req)
  const looping = ctx === undefined ? null : refusedTwice(req)
  if (ctx !== undefined && looping !== null) return stopLoginLoop(ctx, req, res, looping)
  res.redirect(302, ar.arLoginUrl({ redirect_uri: ar.safeThisUri() }))
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/** The answer to a logged-in user who lacks the permission a route needs. */
export function permissionDenied(req: Request, res: Response, ar: AuthRocket): void {
  res.status(403).set('Cache-Control', 'no-store')
  if (wantsJson(req)) {
    res.set('WWW-Authenticate', 'Bearer realm="airlock", error="insufficient_scope"')
    res.json({ error: 'permission_denied', message: 'Your account does not have permission to do this.' })
    return
  }
  const org = ar.currentOrg
  res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Permission needed</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}a{color:#2456c8}</style>
</head><body>
<h1>Permission needed</h1>
<p>You are logged in${org ? ` to the account <strong>${escapeHtml(org.name)}</strong>` : ''}, but this page needs a permission that your membership does not have.</p>
<p><a href="${escapeHtml(ar.appRootUri())}">Back to the app</a> · <a href="${escapeHtml(ar.arAccountsUrl({ redirect_uri: ar.safeThisUri() }))}">Switch accounts</a></p>
</body></html>`)
}
