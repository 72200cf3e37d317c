import { readFileSync } from 'node:fs'
import { Hono } from 'hono'
import type { AppEnv } from '../http/env.js'

const css = readFileSync(new URL('../assets/airlock.css', import.meta.url), 'utf8')
const adminJs = readFileSync(new URL('../assets/admin.js', import.meta.url), 'utf8')
const icon = readFileSync(new URL('../assets/favicon.svg', import.meta.url), 'utf8')

/** The hosted pages' stylesheet, the icon, and a tiny per-colour theme (no inline styles, so the CSP stays strict). */
export function assetRoutes() {
  const app = new Hono<AppEnv>()
  app.get('/assets/airlock.css', (c) => {
    c.header('Cache-Control', 'public, max-age=3600')
    return c.body(css, 200, { 'Content-Type': 'text/css; charset=utf-8' })
  })
  // The admin portal's copy buttons (the only script; hosted pages run none).
  app.get('/assets/admin.js', (c) => {
    c.header('Cache-Control', 'public, max-age=3600')
    return c.body(adminJs, 200, { 'Content-Type': 'text/javascript; charset=utf-8' })
  })
  // Linked from every layout; /favicon.ico too, since browsers ask for it on any host, page or not.
  for (const path of ['/assets/favicon.svg', '/favicon.ico']) {
    app.get(path, (c) => {
      c.header('Cache-Control', 'public, max-age=3600')
      return c.body(icon, 200, { 'Content-Type': 'image/svg+xml' })
    })
  }
  app.get('/assets/theme.css', (c) => {
    const color = /^[0-9a-f]{6}$/i.test(c.req.query('c') ?? '') ? c.req.query('c') : '2456c8'
    c.header('Cache-Control', 'public, max-age=86400')
    return c.body(`:root{--brand:#${color}}`, 200, { 'Content-Type': 'text/css; charset=utf-8' })
  })
  return app
}
