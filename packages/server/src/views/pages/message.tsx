import type { Child } from 'hono/jsx'
import type { Realm } from '../../domain/realm.js'
import { Layout } from '../layout.js'

/** A page that only says something: an error, or what happens next. */
export function MessagePage({ realm, title, children, link }: { realm: Realm; title: string; children?: Child; link?: { href: string; text: string } }) {
  return (
    <Layout realm={realm} title={title}>
      <div class="message">{children}</div>
      {link ? (
        <p>
          <a href={link.href}>{link.text}</a>
        </p>
      ) : null}
    </Layout>
  )
}
