import type { Context } from 'hono'
import { AppError } from '../errors/app-error.js'
import type { AppEnv } from './env.js'
import { checkRedirectUri, checkReturnTo } from './redirect-uri.js'

/** Parameters that travel from page to page during a login (login → signup → back). */
const CARRIED = ['redirect_uri', 'return_to', 'account', 'nonce'] as const

/** The app middleware's browser-bound nonce (DESIGN §4); anything else is ignored rather than signed into a token. */
const NONCE = /^[A-Za-z0-9_-]{1,100}$/

export interface Flow {
  /** Where the app wants the browser back, already checked; null when the realm has no Login URL yet. */
  redirectUri: string | null
  /** A LoginRocket page to come back to instead (e.g. the profile). */
  returnTo: string | null
  /** `?redirect_uri=...` for links to the other pages. */
  carry: string
  /** The same parameters as hidden form fields. */
  hidden: Record<string, string | undefined>
}

/** Reads and checks the flow's parameters (query, or the form on POST); a foreign redirect_uri is refused outright. */
export async function readFlow(c: Context<AppEnv>): Promise<Flow> {
  const body = c.req.method === 'POST' ? await c.req.parseBody() : {}
  const param = (name: string) => {
    const value = body[name] ?? c.req.query(name)
    return typeof value === 'string' ? value : undefined
  }
  const rawRedirect = param('redirect_uri')
  const redirectUri = checkRedirectUri(c.get('realm'), rawRedirect)
  if (rawRedirect && redirectUri === null) {
    throw new AppError('invalid_redirect_uri', "The app sent you here with a return address this login page doesn't accept.", {
      redirect_uri: rawRedirect.slice(0, 200),
    })
  }
  const returnTo = checkReturnTo(param('return_to'))
  const carried: Record<string, string | undefined> = {
    redirect_uri: rawRedirect || undefined,
    return_to: returnTo ?? undefined,
    account: param('account')?.slice(0, 100) || undefined,
    nonce: NONCE.test(param('nonce') ?? '') ? param('nonce') : undefined,
  }
  const query = new URLSearchParams()
  for (const name of CARRIED) if (carried[name]) query.set(name, carried[name]!)
  const text = query.toString()
  return { redirectUri, returnTo, carry: text ? `?${text}` : '', hidden: carried }
}
