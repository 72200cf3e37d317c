// CSRF protection for the app's own forms.
//
// The login cookie is SameSite=Lax, so browsers leave it off POSTs that come from other sites: such a
// request is anonymous, and requireLogin turns it away. What Lax still lets through is a POST from the same
// *site* but another origin (another port or subdomain, e.g. a page on http://localhost:4000 posting to
// http://localhost:3000). Browsers say where a request comes from in `Sec-Fetch-Site` (all current ones) or
// `Origin` (older ones); a request whose headers name another origin is refused. A request with neither
// header is not from a browser's form (curl, a server) and carries no ambient cookie risk, so it passes.

/** @type {import('express').RequestHandler} */
module.exports = function sameOrigin(req, res, next) {
  const fetchSite = req.get('sec-fetch-site')
  const origin = req.get('origin')
  let allowed = true
  if (fetchSite) allowed = fetchSite === 'same-origin' || fetchSite === 'none'
  else if (origin) allowed = origin === req.authrocket.requestUri().origin
  if (allowed) return next()
  res.status(403).render('error', {
    title: 'Request refused',
    message: 'This form was sent from another website. Open the page here and send it again.',
  })
}
