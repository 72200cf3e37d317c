// The guide's "Connecting to your app's data": the app's own records (projects), keyed by the account's
// id in a column ar_org_id. Every query is scoped to req.authrocket.currentOrg.id, so each account sees
// and changes only its own projects. app.js mounts this after app.use(requireLogin).
const express = require('express')
const { Project, InvalidProject, NAME_MAX } = require('../models/project')
const sameOrigin = require('../lib/same-origin')
const router = express.Router()

router.get('/', function (req, res) {
  const org = req.authrocket.currentOrg
  // Until the login has an account (org), there is nothing to scope the data by.
  if (!org) return res.render('projects', { projects: null })
  res.render('projects', { projects: Project.find({ ar_org_id: org.id }), nameMax: NAME_MAX })
})

router.post('/', sameOrigin, express.urlencoded({ extended: false }), function (req, res) {
  const org = req.authrocket.currentOrg
  if (!org) return res.status(409).render('projects', { projects: null })
  const user = req.authrocket.currentUser
  try {
    Project.create({
      ar_org_id: org.id,
      name: req.body?.name,
      created_by: user.id,
      created_by_name: user.name || user.email || user.id,
    })
  } catch (error) {
    if (!(error instanceof InvalidProject)) throw error
    return res.status(422).render('projects', {
      projects: Project.find({ ar_org_id: org.id }),
      nameMax: NAME_MAX,
      error: error.message,
      name: String(req.body?.name ?? '').slice(0, 200),
    })
  }
  res.redirect(303, '/projects')
})

module.exports = router
