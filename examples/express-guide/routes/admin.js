// admin.js (a sub-router): the guide's "Protect an entire sub-router" and "Logins + permissions".
const express = require('express')
const { Project } = require('../models/project')
const router = express.Router()

// after other require() statements and before any router.XYZ(...) statements:
// start by requiring a login first
const { requireLogin } = require('@airlock/express')
router.use(requireLogin)

// then require a specific permission
router.use(function (req, res, next) {
  // `?.`: a login without an account (org) has no membership, so no permissions at all.
  if (req.authrocket.currentMembership?.permissions.includes('site:admin')) {
    next()
  } else {
    res.status(403).render('forbidden', { permission: 'site:admin' })
  }
})

router.get('/', function (req, res) {
  res.render('admin', { accounts: Project.accounts() })
})

module.exports = router
