// What every page of the example needs that isn't about logins: security headers, views, the stylesheet,
// the "not found" and error pages, and listening on PORT. app.js and app-direct.js share it.
const path = require('path')
const express = require('express')
const helmet = require('helmet').default
const { Project } = require('../models/project')
const { User } = require('../models/user')

const root = path.join(__dirname, '..')

/** @param {import('express').Express} app */
function setup(app) {
  // helmet's headers, framing refused as LoginRocket's pages refuse it (no other site can frame a page and
  // trick a click). No upgrade-insecure-requests: the example runs on plain http://localhost.
  app.use(helmet({
    contentSecurityPolicy: { directives: { frameAncestors: ["'none'"], upgradeInsecureRequests: null } },
    xFrameOptions: { action: 'deny' },
  }))
  app.set('views', path.join(root, 'views'))
  app.set('view engine', 'pug')
  app.disable('x-powered-by')
  app.use(express.static(path.join(root, 'public')))
}

/** @param {import('express').Express} app */
function finish(app) {
  app.use(function notFound(req, res) {
    res.status(404).render('error', { title: 'Page not found', message: 'There is no page at this address.' })
  })
  /** @type {import('express').ErrorRequestHandler} */
  const errorPage = function (err, req, res, next) {
    if (res.headersSent) return next(err)
    console.error(err)
    res.status(500).render('error', { title: 'Something went wrong', message: 'The error has been logged. Please try again.' })
  }
  app.use(errorPage)
}

/**
 * Serves `app` on PORT (default 3000) until SIGINT or SIGTERM.
 * @param {import('express').Express} app
 */
function listen(app) {
  const port = Number(process.env.PORT || 3000)
  const server = app.listen(port, function (/** @type {Error | undefined} */ error) {
    if (error) {
      console.error(`express-guide: can't listen on port ${port}: ${error.message}`)
      process.exit(1)
    }
    console.log(`Example app listening on http://localhost:${port}`)
  })
  const stop = function () {
    server.close()
    server.closeAllConnections()
    Project.close()
    User.close()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  return server
}

module.exports = { setup, finish, listen }
