import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

/** One message as the SMTP server received it, with its plain-text body decoded. */
export interface CaughtMail {
  /** Envelope recipients (RCPT TO). */
  to: string[]
  /** The message as sent, headers and encoded body. */
  raw: string
  /** Decoded top-level headers, lower-cased names. */
  headers: Record<string, string>
  subject: string
  /** The text/plain body, transfer encoding and charset undone. */
  text: string
  /** Content types of every part (a text-only mail has one: text/plain). */
  contentTypes: string[]
}

/**
 * A real SMTP server on a loopback port that keeps every message, for tests of what the server mails.
 * Plain SMTP: no authentication, no STARTTLS.
 */
export class MailCatcher {
  readonly mails: CaughtMail[] = []
  #waiters: (() => void)[] = []

  private constructor(
    readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(): Promise<MailCatcher> {
    let catcher: MailCatcher | undefined
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = []
        stream.on('data', (chunk: Buffer) => chunks.push(chunk))
        stream.on('end', () => {
          const to = session.envelope.rcptTo.map((r) => r.address)
          catcher!.#receive(to, Buffer.concat(chunks).toString('latin1'))
          callback()
        })
      },
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    catcher = new MailCatcher(server, (server.server.address() as AddressInfo).port)
    return catcher
  }

  /** The URL for AIRLOCK_SMTP_URL. */
  get url(): string {
    return `smtp://127.0.0.1:${this.port}`
  }

  #receive(to: string[], raw: string): void {
    this.mails.push({ to, raw, ...parseMessage(raw) })
    for (const wake of this.#waiters.splice(0)) wake()
  }

  /** Mails sent to this address so far. */
  to(address: string): CaughtMail[] {
    return this.mails.filter((m) => m.to.some((t) => t.toLowerCase() === address.toLowerCase()))
  }

  /** Waits until `count` mails have reached this address (the server mails in the background); returns the last. */
  async waitFor(address: string, count = 1, timeoutMs = 5000): Promise<CaughtMail> {
    const deadline = Date.now() + timeoutMs
    while (this.to(address).length < count) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`expected ${count} mail(s) to ${address}, got ${this.to(address).length}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    return this.to(address)[count - 1]!
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

/** The first link to `path` on `base` in a mail's text (e.g. the /reset link), as a URL. */
export function linkIn(text: string, base: string, path: string): URL {
  const escaped = `${base}${path}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const match = new RegExp(`${escaped}\\?\\S+`).exec(text)
  if (!match) throw new Error(`no ${path} link in mail:\n${text}`)
  return new URL(match[0])
}

/** Waits a moment for background mail, for tests that check nothing was sent. */
export const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms))

// --- A small MIME reader: enough for what nodemailer writes (single part or multipart, 7bit/QP/base64). ---

function splitHead(raw: string): { head: string; body: string } {
  const at = raw.search(/\r?\n\r?\n/)
  if (at < 0) return { head: raw, body: '' }
  const sep = /\r?\n\r?\n/.exec(raw.slice(at))![0]
  return { head: raw.slice(0, at), body: raw.slice(at + sep.length) }
}

function parseHeaders(head: string): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return headers
}

/** latin1 text (one char per byte) → bytes. */
const bytesOf = (text: string) => Buffer.from(text, 'latin1')

function decodeQuotedPrintable(body: string): Buffer {
  const unwrapped = body.replace(/=\r?\n/g, '')
  const bytes: number[] = []
  for (let i = 0; i < unwrapped.length; i++) {
    const hex = unwrapped.slice(i + 1, i + 3)
    if (unwrapped[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16))
      i += 2
    } else bytes.push(unwrapped.charCodeAt(i) & 0xff)
  }
  return Buffer.from(bytes)
}

function decodeBody(body: string, encoding: string | undefined): Buffer {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64')
    case 'quoted-printable':
      return decodeQuotedPrintable(body)
    default:
      return bytesOf(body)
  }
}

function charsetOf(contentType: string): BufferEncoding {
  const charset = /charset="?([\w-]+)"?/i.exec(contentType)?.[1]?.toLowerCase() ?? 'us-ascii'
  return charset === 'utf-8' || charset === 'utf8' ? 'utf8' : 'latin1'
}

/** RFC 2047 encoded words (=?UTF-8?Q?...?= and =?UTF-8?B?...?=) in a header. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([\w-]+)\?([QB])\?([^?]*)\?=/gi, (_, charset: string, kind: string, text: string) => {
      const bytes = kind.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : decodeQuotedPrintable(text.replace(/_/g, ' '))
      return bytes.toString(charsetOf(`charset=${charset}`))
    })
}

function parseMessage(raw: string): Pick<CaughtMail, 'headers' | 'subject' | 'text' | 'contentTypes'> {
  const { head, body } = splitHead(raw)
  const headers = parseHeaders(head)
  const contentTypes: string[] = []
  const texts: string[] = []
  const walk = (partHeaders: Record<string, string>, partBody: string) => {
    const type = partHeaders['content-type'] ?? 'text/plain; charset=us-ascii'
    contentTypes.push(type.split(';')[0]!.trim().toLowerCase())
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1]
    if (/^multipart\//i.test(type) && boundary) {
      const parts = partBody.split(`--${boundary}`).slice(1)
      for (const part of parts) {
        if (part.startsWith('--')) break
        const inner = splitHead(part.replace(/^\r?\n/, ''))
        walk(parseHeaders(inner.head), inner.body)
      }
      return
    }
    if (/^text\/plain/i.test(type)) {
      texts.push(decodeBody(partBody, partHeaders['content-transfer-encoding']).toString(charsetOf(type)).replace(/\r\n/g, '\n'))
    }
  }
  walk(headers, body)
  return { headers, subject: decodeWords(headers.subject ?? ''), text: texts.join('\n'), contentTypes }
}
