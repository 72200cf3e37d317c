import type { Child } from 'hono/jsx'
import type { Realm } from '../domain/realm.js'

export interface LayoutProps {
  realm: Realm
  title: string
  /** A wider card, for pages with lists (managing an account). */
  wide?: boolean
  children?: Child
}

/** Every hosted page: the realm's name, logo and colour, a main landmark, readable on a phone. */
export function Layout({ realm, title, wide = false, children }: LayoutProps) {
  const { logo_url: logo } = realm.settings
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${title} · ${realm.name}`}</title>
        <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/assets/airlock.css" />
        <link rel="stylesheet" href={`/assets/theme.css?c=${realm.settings.color.slice(1)}`} />
      </head>
      <body>
        <header class="brand">
          {logo ? <img src={logo} alt="" class="logo" /> : null}
          <span class="realm-name">{realm.name}</span>
        </header>
        <main class={wide ? 'card wide' : 'card'}>
          <h1>{title}</h1>
          {children}
        </main>
      </body>
    </html>
  )
}
