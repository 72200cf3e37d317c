import type { Child } from 'hono/jsx'
import { adminUrl } from '../admin-urls.js'

/** Every admin portal page: Airlock's own look, not a realm's; readable on a phone. */
export function AdminLayout({ title, children, signedIn }: { title: string; children?: Child; signedIn?: { email: string; csrf: string } }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <meta name="robots" content="noindex" />
        <title>{`${title} · Airlock admin`}</title>
        <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/assets/airlock.css" />
        <script src="/assets/admin.js" defer></script>
      </head>
      <body>
        <header class="brand">
          <span class="realm-name">Airlock admin</span>
          {signedIn ? (
            <form method="post" action="/admin/logout" class="inline">
              <input type="hidden" name="csrf" value={signedIn.csrf} />
              <button type="submit" class="link">
                Log out
              </button>
            </form>
          ) : null}
        </header>
        {signedIn ? (
          <nav class="admin-nav" aria-label="Admin portal">
            <a href={adminUrl.home}>Home</a>
            <a href={adminUrl.realms}>Realms</a>
            <a href={adminUrl.events}>Events</a>
          </nav>
        ) : null}
        <main class="card wide admin">
          <h1>{title}</h1>
          {children}
        </main>
      </body>
    </html>
  )
}

/** A page that only says something (a used setup link, the portal already set up). */
export function AdminMessagePage({ title, children, link }: { title: string; children?: Child; link?: { href: string; text: string } }) {
  return (
    <AdminLayout title={title}>
      <div class="message">{children}</div>
      {link ? (
        <p>
          <a href={link.href}>{link.text}</a>
        </p>
      ) : null}
    </AdminLayout>
  )
}
