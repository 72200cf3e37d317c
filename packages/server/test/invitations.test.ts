import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { hashSecret } from '../src/crypto/ids.js'
import { LinkifyIt } from 'linkify-it'
import { APP, PASSWORD, addMember, back, confirmEmail, membershipsOf, renewedClaims, signUp, type Person } from './support/accounts.js'
import { claimsOf, tokenFrom } from './support/browser.js'
import { Client } from './support/client.js'
import { DIALECTS } from './support/dialects.js'
import { linkIn, MailCatcher, settle } from './support/mail-catcher.js'
import { startServer, type TestServer } from './support/server.js'

const SETTINGS = [`login_urls=${APP}`, 'email_verification=none', 'org_mode=multi_user', 'signup=open', 'permissions=site:admin,forum:moderator', 'new_member_permissions=forum:moderator']

describe.each(DIALECTS)('invitations on %s', (dialect) => {
  let server: TestServer
  let smtp: MailCatcher

  beforeAll(async () => {
    smtp = await MailCatcher.start()
    server = await startServer({ dialect, trustProxy: true, env: { AIRLOCK_SMTP_URL: smtp.url }, settings: SETTINGS })
  })
  afterAll(async () => {
    await server?.close()
    await smtp?.close()
  })
  beforeEach(() => server.settings(...SETTINGS))

  let n = 0
  const email = (who: string) => `${who}-${++n}@example.com`
  const db = () => server.booted.services.db.kysely
  const invitationsOf = (orgId: string) => db().selectFrom('invitations').selectAll().where('org_id', '=', orgId).orderBy('created_at').execute()

  /** The boxes ticked in the page's invite form (what a browser sends unless the user changes them). */
  const tickedInviteBoxes = (html: string) => [...html.matchAll(/id="invite-perm-\d+" name="permissions\[\]" value="([^"]+)" checked/g)].map((m) => m[1]!)

  /** Invites `to` from the account's page, with the boxes as the page ticks them unless `permissions` says otherwise. */
  async function invite(owner: Person, to: string, permissions?: string[], query = '') {
    await owner.client.get(`/accounts/${owner.orgId}${query}`)
    return owner.client.post(`/accounts/${owner.orgId}/invitations${query}`, { email: to, 'permissions[]': permissions ?? tickedInviteBoxes(owner.client.browser.lastHtml) })
  }

  /** The accept link of the `nth` mail to `to`, as a path on the server. */
  async function linkTo(to: string, nth = 1): Promise<string> {
    const mail = await smtp.waitFor(to, nth)
    const link = linkIn(mail.text, server.url, '/invitations/accept')
    return `${link.pathname}${link.search}`
  }

  /** Opens a link in `client`, following redirects on the server (the client keeps the last form's CSRF token). */
  async function open(client: Client, path: string): Promise<Response> {
    let res = await client.get(path)
    for (let hops = 0; hops < 5 && res.status === 303 && res.headers.get('location')!.startsWith('/'); hops++) res = await client.get(res.headers.get('location')!)
    return res
  }

  /** An account's owner, whose email is confirmed (only they may invite). */
  async function owner(name = 'Acme', fields: Record<string, string> = {}): Promise<Person> {
    const person = await signUp(server, email('owner'), { account_name: name, ...fields })
    await confirmEmail(server, person)
    return person
  }

  /** Links a mail client would make of a mail's text: URLs, `www.` hosts, bare domains (`.example` too) and addresses. */
  const linkify = new LinkifyIt().tlds('example', true)
  const linksIn = (text: string) => (linkify.match(text) ?? []).map((match: { url: string }) => match.url)

  it('an inviter named “Visit https://evil.example now” with an account named evil.example mails no link but the invitation’s own', async () => {
    const evil = await owner('evil.example', { first_name: 'Visit https://evil.example now', last_name: 'or www.evil.example' })
    const to = email('phished')
    expect((await invite(evil, to)).status).toBe(303)
    const mail = await smtp.waitFor(to)
    const link = linkIn(mail.text, server.url, '/invitations/accept')
    // The inviter's confirmed address (a mailto: link) comes first, then the invitation.
    expect(linksIn(mail.text)).toEqual([`mailto:${evil.email}`, link.href])
    expect(linksIn(mail.subject)).toEqual([])
    // Still readable: what was typed, with its links defused.
    expect(mail.subject).toBe("You're invited to join evil[.]example at Demo")
    expect(mail.text).toContain(`Visit https[:]//evil[.]example now or www[.]evil[.]example (${evil.email}) invited you to join the account "evil[.]example" at Demo.`)
  })

  it('an unverified user’s invitation is refused with the message, and no mail is sent', async () => {
    const unconfirmed = await signUp(server, email('unconfirmed'), { account_name: 'Relay' })
    const to = email('spammed')
    // The page says so up front, instead of the form.
    await unconfirmed.client.get(`/accounts/${unconfirmed.orgId}`)
    expect(unconfirmed.client.browser.lastHtml).toContain('<p class="notice info">Confirm your own email address before inviting anyone')
    expect(unconfirmed.client.browser.lastHtml).not.toContain('Send invitation')
    const res = await invite(unconfirmed, to)
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('Confirm your own email address before inviting anyone: reset your password through “Forgot your password?” on the login page')
    // Where the realm verifies emails, the message points to the confirmation mail.
    await server.settings('email_verification=optional')
    const again = await invite(unconfirmed, to)
    expect(again.status).toBe(422)
    expect(await again.text()).toContain('Confirm your own email address before inviting anyone: open the link in the confirmation email we sent you.')
    await settle()
    expect(smtp.to(to)).toHaveLength(0)
    expect(await invitationsOf(unconfirmed.orgId)).toHaveLength(0)
    // Once confirmed, the same form goes through.
    await confirmEmail(server, unconfirmed)
    expect((await invite(unconfirmed, to)).status).toBe(303)
    await smtp.waitFor(to)
  })

  it('an unverified manager can’t make the realm mail an invitation again either', async () => {
    const acme = await owner()
    const to = email('resent')
    await invite(acme, to)
    await smtp.waitFor(to)
    const [invitation] = await invitationsOf(acme.orgId)
    const admin = await signUp(server, email('unconfirmed-admin'))
    await addMember(server, acme.orgId, admin.userId, ['ar:admin'])
    await admin.client.get(`/accounts/${acme.orgId}`)
    const res = await admin.client.post(`/accounts/${acme.orgId}/invitations/${invitation!.id}/resend`, {})
    expect(res.status).toBe(403)
    expect(await res.text()).toContain('Confirm your own email address before inviting anyone')
    await settle()
    expect(smtp.to(to)).toHaveLength(1)
  })

  it('invites a new user: the mail links to signup with the address filled in and no account name; they join with the invited permissions', async () => {
    const acme = await owner()
    const to = email('new')
    await acme.client.get(`/accounts/${acme.orgId}?${back}`)
    expect(tickedInviteBoxes(acme.client.browser.lastHtml)).toEqual(['forum:moderator'])
    const res = await invite(acme, to, undefined, `?${back}`)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`/accounts/${acme.orgId}?done=invited&redirect_uri=${encodeURIComponent(APP)}`)
    await acme.client.browser.follow(res)
    expect(acme.client.browser.lastHtml).toContain('The invitation was sent.')
    expect(acme.client.browser.lastHtml).toMatch(new RegExp(`<p class="who">${to}</p><p class="perms">forum:moderator · valid until \\d{4}-\\d\\d-\\d\\d`))

    // The mail: plain text, who invites to what, and a single-use link with a 256-bit secret, stored hashed.
    const mail = await smtp.waitFor(to)
    expect(mail.contentTypes).toEqual(['text/plain'])
    expect(mail.subject).toBe("You're invited to join Acme at Demo")
    expect(mail.text).toContain(`Test User (${acme.email}) invited you to join the account "Acme" at Demo.`)
    expect(mail.text).toContain('The link works for 30 days, and only once.')
    const link = linkIn(mail.text, server.url, '/invitations/accept')
    const secret = link.searchParams.get('token')!
    expect(secret).toMatch(/^[\w-]{43}$/)
    expect(link.searchParams.get('redirect_uri')).toBe(APP)
    const [row] = await invitationsOf(acme.orgId)
    expect(row).toMatchObject({ email: to, inviter_user_id: acme.userId, token_hash: hashSecret(secret), permissions: '["forum:moderator"]' })
    expect(row!.id).toMatch(/^nvt_/)
    const days = (new Date(row!.expires_at).getTime() - new Date(row!.created_at).getTime()) / 86_400_000
    expect(days).toBe(30)

    // The invitee: the link leads to signup, with the address fixed and no account name to choose.
    const invitee = new Client(server)
    const toSignup = await invitee.get(`${link.pathname}${link.search}`)
    expect(toSignup.status).toBe(303)
    const signupUrl = new URL(toSignup.headers.get('location')!, server.url)
    expect(signupUrl.pathname).toBe('/signup')
    expect(signupUrl.searchParams.get('invitation')).toBe(secret)
    expect((await invitee.get(`${signupUrl.pathname}${signupUrl.search}`)).status).toBe(200)
    const html = invitee.browser.lastHtml
    expect(html).toContain('You’re invited to join <strong>Acme</strong>')
    expect(html).toMatch(new RegExp(`<input id="email" name="email" type="email" value="${to}"[^>]* readonly=""`))
    expect(html).not.toContain('name="account_name"')
    expect(html).toContain(`<input type="hidden" name="invitation" value="${secret}"/>`)

    // A changed address or an account name sent anyway change nothing: the login is the invited address.
    const joined = await invitee.post(`${signupUrl.pathname}${signupUrl.search}`, {
      invitation: secret,
      email: 'someone-else@example.com',
      account_name: 'Sneaky',
      first_name: 'Nina',
      last_name: 'New',
      password: PASSWORD,
    })
    expect(joined.status).toBe(303)
    const claims = claimsOf(tokenFrom(joined))
    expect(claims).toMatchObject({ email: to, email_verified: true, given_name: 'Nina' })
    expect(claims.orgs).toEqual([{ mid: expect.stringMatching(/^mb_/), oid: acme.orgId, name: 'Acme', perm: ['forum:moderator'], selected: true }])
    const user = await server.booted.services.users.byEmail(server.booted.realm, to)
    expect(await server.booted.services.accounts.list(server.booted.realm, user!)).toHaveLength(1)
    expect(await server.booted.services.users.byEmail(server.booted.realm, 'someone-else@example.com')).toBeNull()

    // Used up: the link says so, and the owner's page lists the member instead of the invitation.
    const again = await new Client(server).get(`${link.pathname}${link.search}`)
    expect(again.status).toBe(410)
    expect(await again.text()).toContain('This invitation has been accepted')
    await acme.client.get(`/accounts/${acme.orgId}`)
    expect(acme.client.browser.lastHtml).not.toContain('Open invitations')
    expect(acme.client.browser.lastHtml).toContain(`Nina New · ${to}`)
  })

  it('a logged-in user with the invited address accepts at once; the account becomes their current one', async () => {
    const acme = await owner()
    const invitee = await signUp(server, email('existing'), { account_name: 'Own' })
    expect((await invite(acme, invitee.email.toUpperCase(), ['site:admin'])).status).toBe(303)
    const res = await invitee.client.get(await linkTo(invitee.email.toUpperCase()))
    expect(res.status).toBe(303)
    expect(claimsOf(tokenFrom(res)).orgs[0]).toMatchObject({ oid: acme.orgId, perm: ['site:admin'], selected: true })
    expect((await renewedClaims(server, invitee.token)).orgs[0].oid).toBe(acme.orgId)
    await invitee.client.get('/accounts?force=1')
    expect(invitee.client.browser.lastHtml).toContain('Own')
  })

  it('without a Login URL, joining lands on the account’s page, which says so', async () => {
    const acme = await owner()
    await server.settings('login_urls=')
    const client = new Client(server)
    const who = email('nourl')
    await client.get('/signup')
    expect((await client.post('/signup', { email: who, password: PASSWORD, account_name: 'Own' })).status).toBe(303)
    await invite(acme, who)
    const res = await client.get(await linkTo(who))
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`/accounts/${acme.orgId}?done=joined`)
    await client.browser.follow(res)
    expect(client.browser.lastHtml).toContain('Welcome: you are now a member of this account.')
    expect(client.browser.lastHtml).toContain('Your permissions: forum:moderator')
  })

  it('a logged-in user with another address is told so and gains nothing; the addressee can still accept', async () => {
    const acme = await owner()
    const other = await signUp(server, email('other'))
    const to = email('addressee')
    await invite(acme, to)
    const link = await linkTo(to)
    const res = await other.client.get(link)
    expect(res.status).toBe(403)
    const html = await res.text()
    expect(html).toContain('This invitation is for someone else')
    expect(html).toContain(`was sent to <strong>${to}</strong>, but you are logged in as <strong>${other.email}</strong>`)
    expect((await membershipsOf(server, acme.orgId)).some((m) => m.userId === other.userId)).toBe(false)
    expect((await invitationsOf(acme.orgId))[0]!.accepted_at).toBeNull()
    // The way out: log in as the addressee, then come back to the link.
    const relogin = new URL(/<a href="([^"]+)">Log in as/.exec(html)![1]!.replace(/&amp;/g, '&'), server.url)
    expect(relogin.pathname).toBe('/login')
    expect(relogin.searchParams.get('prompt')).toBe('login')
    expect(relogin.searchParams.get('return_to')).toBe(link)

    const addressee = new Client(server)
    const signup = await open(addressee, link)
    expect(signup.status).toBe(200)
    const joined = await addressee.post(addressee.browser.lastHtml.match(/action="([^"]+)"/)![1]!.replace(/&amp;/g, '&'), {
      invitation: new URL(link, server.url).searchParams.get('token')!,
      password: PASSWORD,
    })
    expect(claimsOf(tokenFrom(joined)).orgs[0].oid).toBe(acme.orgId)
  })

  it('a logged-out user who has a login is asked to log in, then joins and goes back to the app', async () => {
    const acme = await owner()
    const invitee = await signUp(server, email('returning'))
    await invite(acme, invitee.email, undefined, `?${back}`)
    const link = await linkTo(invitee.email)

    const browser = new Client(server)
    const res = await browser.get(link)
    expect(res.status).toBe(200)
    const html = browser.browser.lastHtml
    expect(html).toContain('<h1>Join Acme</h1>')
    expect(html).toContain(`Log in as <strong>${invitee.email}</strong> to accept.`)
    const loginHref = /<a href="([^"]+)">Log in to accept<\/a>/.exec(html)![1]!.replace(/&amp;/g, '&')
    expect(new URL(loginHref, server.url).searchParams.get('return_to')).toBe(link)

    await browser.get(loginHref)
    const action = /<form method="post" action="([^"]+)"/.exec(browser.browser.lastHtml)![1]!.replace(/&amp;/g, '&')
    const loggedIn = await browser.post(action, { email: invitee.email, password: PASSWORD })
    expect(loggedIn.status).toBe(303)
    expect(loggedIn.headers.get('location')).toBe(link)
    const accepted = await browser.get(link)
    expect(accepted.status).toBe(303)
    expect(accepted.headers.get('location')!.startsWith(`${APP}/?token=`)).toBe(true)
    expect(claimsOf(tokenFrom(accepted)).orgs[0]).toMatchObject({ oid: acme.orgId, perm: ['forum:moderator'] })
  })

  it('sending again mails a new link and the old one stops working; revoking voids the link', async () => {
    const acme = await owner()
    const to = email('resent')
    await invite(acme, to)
    const first = await linkTo(to)
    const [invitation] = await invitationsOf(acme.orgId)
    await acme.client.get(`/accounts/${acme.orgId}`)
    const resent = await acme.client.post(`/accounts/${acme.orgId}/invitations/${invitation!.id}/resend`, {})
    expect(resent.status).toBe(303)
    expect(resent.headers.get('location')).toBe(`/accounts/${acme.orgId}?done=resent`)
    const second = await linkTo(to, 2)
    expect(second).not.toBe(first)
    const old = await new Client(server).get(first)
    expect(old.status).toBe(410)
    expect(await old.text()).toContain('This invitation link doesn’t work')
    expect((await new Client(server).get(second)).status).toBe(303)

    const revoked = await acme.client.post(`/accounts/${acme.orgId}/invitations/${invitation!.id}/revoke`, {})
    expect(revoked.status).toBe(303)
    expect(revoked.headers.get('location')).toBe(`/accounts/${acme.orgId}?done=revoked`)
    const gone = await new Client(server).get(second)
    expect(gone.status).toBe(410)
    expect(await gone.text()).toContain('This invitation was withdrawn')
    await acme.client.get(`/accounts/${acme.orgId}`)
    expect(acme.client.browser.lastHtml).not.toContain(to)
    // Revoked is final: neither can be done again.
    expect((await acme.client.post(`/accounts/${acme.orgId}/invitations/${invitation!.id}/resend`, {})).status).toBe(404)
    expect((await acme.client.post(`/accounts/${acme.orgId}/invitations/${invitation!.id}/revoke`, {})).status).toBe(404)
  })

  it('an expired invitation says so; sending it again gives it 30 more days', async () => {
    const acme = await owner()
    const to = email('late')
    await invite(acme, to)
    const link = await linkTo(to)
    const [invitation] = await invitationsOf(acme.orgId)
    await db().updateTable('invitations').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', invitation!.id).execute()
    const res = await new Client(server).get(link)
    expect(res.status).toBe(410)
    expect(await res.text()).toContain('This invitation has expired')
    await acme.client.get(`/accounts/${acme.orgId}`)
    expect(acme.client.browser.lastHtml).toMatch(/forum:moderator · expired on \d{4}-/)
    expect((await acme.client.post(`/accounts/${acme.orgId}/invitations/${invitation!.id}/resend`, {})).status).toBe(303)
    expect((await new Client(server).get(await linkTo(to, 2))).status).toBe(303)
  })

  it('refuses bad invitations with the error next to the field and the input kept; sends nothing', async () => {
    const acme = await owner()
    const admin = await signUp(server, email('admin'))
    await confirmEmail(server, admin)
    await addMember(server, acme.orgId, admin.userId, ['ar:admin'])
    const member = await signUp(server, email('member'))
    await addMember(server, acme.orgId, member.userId, [])
    const pending = email('pending')
    await invite(acme, pending)
    await smtp.waitFor(pending)
    const mails = smtp.mails.length

    const cases: [Person, string, string[], string, string][] = [
      [acme, 'not-an-email', ['site:admin'], 'email', 'Enter an email address like name@example.com.'],
      [acme, '', [], 'email', 'Enter the email address of the person to invite.'],
      [acme, `${'a'.repeat(5000)}@example.com`, [], 'email', 'An email address has at most 254 characters.'],
      [acme, 'zero\u200bwidth@example.com', [], 'email', 'Enter an email address like name@example.com.'],
      [acme, member.email, [], 'email', `${member.email} is already a member of this account.`],
      [acme, pending.toUpperCase(), [], 'email', 'This address has an invitation already; you can send it again below.'],
      [acme, email('ok'), ['not a permission!'], 'permissions', '“not a permission!” is not a valid permission name.'],
      [acme, email('ok'), ['x'.repeat(5000)], 'permissions', 'is not a valid permission name.'],
      [acme, email('ok'), ['billing:view'], 'permissions', '“billing:view” is not one of this app’s permissions.'],
      [acme, email('ok'), Array.from({ length: 101 }, (_, i) => `p${i}`), 'permissions', 'Choose at most 100 permissions.'],
      [admin, email('ok'), ['ar:owner'], 'permissions', 'Only owners can make someone an owner.'],
    ]
    for (const [who, to, permissions, fieldName, message] of cases) {
      await who.client.get(`/accounts/${acme.orgId}`)
      const res = await who.client.post(`/accounts/${acme.orgId}/invitations`, { email: to, 'permissions[]': permissions })
      expect(res.status, `${to.slice(0, 40)} ${permissions.slice(0, 2)}`).toBe(422)
      const html = await res.text()
      expect(html).toContain(fieldName === 'email' ? 'id="email-error">' : 'id="invite-perm-error">')
      expect(html).toContain(message.replace(/"/g, '&quot;'))
      if (to.length < 300 && to !== '') expect(html).toContain(`value="${to}"`)
    }
    // The ticked boxes are kept too.
    await acme.client.get(`/accounts/${acme.orgId}`)
    const kept = await acme.client.post(`/accounts/${acme.orgId}/invitations`, { email: 'bad', 'permissions[]': ['site:admin', 'ar:admin'] })
    expect(tickedInviteBoxes(await kept.text())).toEqual(['ar:admin', 'site:admin'])

    await settle()
    expect(smtp.mails.length).toBe(mails)
    expect(await invitationsOf(acme.orgId)).toHaveLength(1)
  })

  it('an admin invites with admin permissions, and the invitee gets exactly those', async () => {
    const acme = await owner()
    const admin = await signUp(server, email('admin'))
    await confirmEmail(server, admin)
    await addMember(server, acme.orgId, admin.userId, ['ar:admin'])
    const to = email('by-admin')
    await admin.client.get(`/accounts/${acme.orgId}`)
    expect(admin.client.browser.lastHtml).not.toContain('value="ar:owner"')
    expect((await admin.client.post(`/accounts/${acme.orgId}/invitations`, { email: to, 'permissions[]': ['ar:admin', 'site:admin'] })).status).toBe(303)
    const invitee = new Client(server)
    const signup = await open(invitee, await linkTo(to))
    expect(signup.status).toBe(200)
    const secret = /name="invitation" value="([^"]+)"/.exec(invitee.browser.lastHtml)![1]!
    const joined = await invitee.post(`/signup?${back}`, { invitation: secret, password: PASSWORD })
    expect(claimsOf(tokenFrom(joined)).orgs[0].perm).toEqual(['ar:admin', 'site:admin'])
  })

  it('two accepts of one invitation at once (one user, two browsers): one membership', async () => {
    const acme = await owner()
    const invitee = await signUp(server, email('twice'))
    const second = new Client(server)
    await second.get('/login')
    expect((await second.post(`/login?${back}`, { email: invitee.email, password: PASSWORD })).status).toBe(303)
    await invite(acme, invitee.email)
    const link = await linkTo(invitee.email)
    const results = await Promise.all([invitee.client.get(link), second.get(link)])
    expect(results.map((r) => r.status).sort()).toEqual([303, 410])
    expect((await membershipsOf(server, acme.orgId)).filter((m) => m.userId === invitee.userId)).toHaveLength(1)
  })

  it('signup=invitation: signup needs a valid invitation, and works with one', async () => {
    const acme = await owner()
    await server.settings('signup=invitation')
    const stranger = new Client(server)
    const closed = await stranger.get(`/signup?${back}`)
    expect(closed.status).toBe(403)
    expect(await closed.text()).toContain('You need an invitation to join.')
    await stranger.get('/login')
    const posted = await stranger.post(`/signup?${back}`, { email: email('stranger'), password: PASSWORD, account_name: 'Mine' })
    expect(posted.status).toBe(403)
    expect(await posted.text()).toContain('You need an invitation to join.')
    await stranger.get('/login')
    const forged = await stranger.post(`/signup?${back}`, { invitation: 'x'.repeat(43), email: email('stranger'), password: PASSWORD })
    expect(forged.status).toBe(410)
    expect(await forged.text()).toContain('This invitation link doesn’t work')
    expect((await stranger.get(`/signup?invitation=${'y'.repeat(43)}`)).status).toBe(410)

    const to = email('invited')
    await invite(acme, to)
    const invitee = new Client(server)
    const signup = await open(invitee, await linkTo(to))
    expect(signup.status).toBe(200)
    const secret = /name="invitation" value="([^"]+)"/.exec(invitee.browser.lastHtml)![1]!
    const joined = await invitee.post(`/signup?${back}`, { invitation: secret, password: PASSWORD })
    expect(joined.status).toBe(303)
    expect(claimsOf(tokenFrom(joined)).orgs[0].oid).toBe(acme.orgId)
  })

  it('signup=closed: an invitation reaches people who have a login, and creates none', async () => {
    const acme = await owner()
    const existing = await signUp(server, email('has-login'))
    const to = email('no-login')
    await invite(acme, to)
    await invite(acme, existing.email)
    await server.settings('signup=closed')
    const newcomer = new Client(server)
    const refused = await open(newcomer, await linkTo(to))
    expect(refused.status).toBe(403)
    expect(await refused.text()).toContain('Signup is closed')
    await newcomer.get('/login')
    const posted = await newcomer.post('/signup', { invitation: new URL(await linkTo(to), server.url).searchParams.get('token')!, password: PASSWORD })
    expect(posted.status).toBe(403)
    expect(await posted.text()).toContain('Signup is closed')
    expect(await server.booted.services.users.byEmail(server.booted.realm, to)).toBeNull()
    expect((await existing.client.get(await linkTo(existing.email))).status).toBe(303)
  })

  it('single-user realms have no invitations: no form, a refused post, and old links that say why', async () => {
    const acme = await owner()
    const to = email('single')
    await invite(acme, to)
    const link = await linkTo(to)
    await server.settings('org_mode=single_user')
    await acme.client.get(`/accounts/${acme.orgId}`)
    expect(acme.client.browser.lastHtml).toContain('Accounts here are personal: they can’t have other members.')
    expect(acme.client.browser.lastHtml).not.toContain(`action="/accounts/${acme.orgId}/invitations`)
    expect(acme.client.browser.lastHtml).not.toContain(`action="/accounts/${acme.orgId}/close`)
    expect((await acme.client.post(`/accounts/${acme.orgId}/invitations`, { email: email('x') })).status).toBe(403)
    expect((await acme.client.post(`/accounts/${acme.orgId}/close`, { confirm: 'yes' })).status).toBe(403)
    const res = await new Client(server).get(link)
    expect(res.status).toBe(410)
    expect(await res.text()).toContain('Invitations can’t be used here')
  })

  it('a closed account’s invitations can’t be accepted', async () => {
    const acme = await owner()
    const to = email('too-late')
    await invite(acme, to)
    await acme.client.post(`/accounts/${acme.orgId}/close`, { confirm: 'yes' })
    const res = await new Client(server).get(await linkTo(to))
    expect(res.status).toBe(410)
    expect(await res.text()).toContain('This account is no longer available')
  })

  it('email_verification=required: the invitation link confirms the address, so the invitee is logged in at once', async () => {
    const acme = await owner()
    await server.settings('email_verification=required')
    const to = email('confirmed')
    await invite(acme, to)
    const invitee = new Client(server)
    await open(invitee, await linkTo(to))
    const secret = /name="invitation" value="([^"]+)"/.exec(invitee.browser.lastHtml)![1]!
    const joined = await invitee.post(`/signup?${back}`, { invitation: secret, password: PASSWORD })
    expect(joined.status).toBe(303)
    expect(claimsOf(tokenFrom(joined))).toMatchObject({ email: to, email_verified: true })
    await settle()
    expect(smtp.to(to)).toHaveLength(1)
  })
})
