import type { AuthRocket } from './helper.js'

// Only `authrocket`, and optional: it exists only where arMiddleware() ran (no global `req.user`).
declare global {
  namespace Express {
    interface Request {
      authrocket?: AuthRocket
    }
    interface Locals {
      authrocket?: AuthRocket
    }
  }
}

export {}
