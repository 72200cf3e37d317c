// app.js: AuthRocket's "Integration with Express" guide, running on Airlock.
// The only change from the guide's code is the package name in require(...).
const express = require('express')
const { arMiddleware, cookieParser, fullLogout, requireLogin } = require('@airlock/express')
const site = require('./lib/site')
const adminRouter = require('./routes/admin')
const projectsRouter = require('./routes/projects')
const { User } = require('./models/user')

const app = express()
site.setup(app) // pug views and the stylesheet

// "Configuring the npm": cookieParser anywhere before arMiddleware, the logout route, then arMiddleware.
app.use(cookieParser())
app.use('/logout', fullLogout)
// --- configuration: using environment variables (LOGINROCKET_URL, and AUTHROCKET_JWT_KEY if set) ---
app.use(arMiddleware())
// --- end of configuration ---

// A public page: the nav shows Signup and Login, or the user's name and Logout. The app's own record of
// its users tells a first visit (just signed up: "Welcome") from a return ("Welcome back").
app.get('/', function (req, res) {
  const user = req.authrocket.currentUser
  res.render('home', { firstVisit: user ? User.firstVisit(user.id) : false })
})

// "Protect individual routes"
app.get('/me',
  requireLogin, // this is what you're actually adding
  function (req, res, next) {
    res.render('me')
  })

// "Protect an entire sub-router" and "Logins + permissions": see routes/admin.js.
app.use('/admin', adminRouter)

// "Protect the entire app": everything below this line needs a login.
app.use(requireLogin)

// "Connecting to your app's data": each account's own projects, see routes/projects.js.
app.use('/projects', projectsRouter)

site.finish(app) // "not found" and error pages

module.exports = app
if (require.main === module) site.listen(app)
