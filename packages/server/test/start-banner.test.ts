// What `airlock start` prints about mail: where it goes without a mail server, and nothing secret with one.
import { describe, expect, it } from 'vitest'
import { runCli, type Running } from '../src/cli/run.js'
import { Browser } from './support/browser.js'
import { cli, useCliData } from './support/cli.js'
import { MailCatcher } from './support/mail-catcher.js'
import { freePort } from './support/server.js'

const ADMIN = 'banner-admin@example.com'
const ADMIN_PASSWORD = 'admin password 123'

describe('the start banner', () => {
  const place = useCliData('sqlite', 'airlock-banner-')

  /** Starts the server on a free port with `env`; returns what it printed, its URL and how to stop it. */
  async function start(env: Record<string, string> = {}) {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    let banner = ''
    const server = (await runCli(['start', '--data', place.data, '--port', String(port), '--public-url', url], {
      env: { ...place.env, AIRLOCK_HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env },
      stdout: { write: (text: string) => (banner += text) },
    })) as Running
    return { banner, url, server }
  }

  it('without AIRLOCK_SMTP_URL names the realm’s outbox in the admin portal, and the log', async () => {
    const realmId = JSON.parse(await cli(['init', '--json', '--data', place.data], place.env)).realm_id as string
    await cli(['admin', 'create', '--data', place.data, '--email', ADMIN], { ...place.env, AIRLOCK_ADMIN_PASSWORD: ADMIN_PASSWORD })
    const { banner, url, server } = await start()
    try {
      const outbox = `${url}/admin/realms/${realmId}/mail`
      expect(banner.split('\n')).toContain(`  Mail: no AIRLOCK_SMTP_URL, so mails go to the outbox at ${outbox} and to the log`)
      // The address is the portal's real Mail page for the realm.
      const admin = new Browser(url)
      await admin.get('/admin/login')
      expect((await admin.post('/admin/login', { email: ADMIN, password: ADMIN_PASSWORD })).status).toBe(303)
      expect((await admin.get(outbox)).status).toBe(200)
      expect(admin.lastHtml).toContain('mails are stored here, not sent')
    } finally {
      await server.stop()
    }
  })

  it('with AIRLOCK_SMTP_URL says mail is sent through it, without printing the URL or its password', async () => {
    const smtp = await MailCatcher.start()
    try {
      const smtpUrl = `smtp://mailer:s3cret-pass@127.0.0.1:${smtp.port}`
      const { banner, server } = await start({ AIRLOCK_SMTP_URL: smtpUrl })
      await server.stop()
      expect(banner.split('\n')).toContain('  Mail: sent through the SMTP server in AIRLOCK_SMTP_URL')
      expect(banner).not.toContain('s3cret-pass')
      expect(banner).not.toContain(smtpUrl)
      expect(banner).not.toContain('outbox')
    } finally {
      await smtp.close()
    }
  })
})
