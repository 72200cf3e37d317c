// The guide's app (examples/express-guide/app.js, unchanged) as it runs behind a TLS-terminating proxy: Express
// must trust the proxy on loopback for X-Forwarded-Proto and -Host, or it would think it is on http://, send
// the browser to LoginRocket with an http:// redirect_uri (refused: the Login URL is https) and set its cookie
// without Secure. That one line is what docs/deploy.md tells app authors to add.
const app = require('../../../examples/express-guide/app.js')
const site = require('../../../examples/express-guide/lib/site.js')

app.set('trust proxy', 'loopback')
site.listen(app)
