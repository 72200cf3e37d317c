import express from 'express'
import realCookieParser from 'cookie-parser'
import { sign } from 'cookie-signature'
import { describe, expect, it } from 'vitest'
import { cookieParser } from '../src/index.js'
import { get, serve } from './support/http.js'

async function parsedBy(parser: express.RequestHandler, cookie: string) {
  const app = express()
  app.use(parser)
  app.get('/', (req, res) => {
    res.json({ cookies: req.cookies, signed: req.signedCookies, secret: (req as { secret?: string }).secret ?? null })
  })
  const server = await serve(app)
  try {
    return await (await get(server.url, { cookie })).json()
  } finally {
    await server.close()
  }
}

describe('cookieParser', () => {
  const header = [
    'plain=hello%20world',
    'json=j%3A%7B%22a%22%3A1%7D',
    `sig=${encodeURIComponent('s:' + 'v.' + 'bad')}`,
    `good=${encodeURIComponent(`s:${sign('value', 'secret1')}`)}`,
    `jsig=${encodeURIComponent(`s:${sign('j:[1,2]', 'secret1')}`)}`,
    'dup=1; dup=2',
  ].join('; ')

  it('gives the same cookies, signed cookies and secret as cookie-parser', async () => {
    for (const secret of [undefined, 'secret1', ['secret0', 'secret1']]) {
      expect(await parsedBy(cookieParser(secret as string), header)).toEqual(
        await parsedBy(realCookieParser(secret as string), header),
      )
    }
  })

  it('parses nothing until a route reads req.cookies, then parses once', async () => {
    const app = express()
    let reads = 0
    app.use((req, _res, next) => {
      const cookie = req.headers.cookie
      Object.defineProperty(req.headers, 'cookie', { get: () => (reads++, cookie) })
      next()
    })
    app.use(cookieParser())
    app.get('/', (req, res) => {
      const before = reads
      const first = req.cookies.a
      const second = req.signedCookies
      res.json({ before, after: reads, first, second })
    })
    const server = await serve(app)
    try {
      expect(await (await get(server.url, { cookie: 'a=1' })).json()).toEqual({ before: 0, after: 1, first: '1', second: {} })
    } finally {
      await server.close()
    }
  })

  it('leaves req.cookies set by an earlier parser alone, and requests it never saw without cookies', async () => {
    const app = express()
    app.use('/preset', (req, _res, next) => {
      req.cookies = { preset: 'yes' }
      next()
    })
    app.use('/preset', cookieParser())
    app.get('/preset', (req, res) => {
      res.json(req.cookies)
    })
    app.get('/unparsed', (req, res) => {
      res.json({ cookies: req.cookies ?? null, secret: (req as { secret?: string }).secret ?? null })
    })
    const server = await serve(app)
    try {
      expect(await (await get(`${server.url}/preset`, { cookie: 'a=1' })).json()).toEqual({ preset: 'yes' })
      expect(await (await get(`${server.url}/unparsed`, { cookie: 'a=1' })).json()).toEqual({ cookies: null, secret: null })
    } finally {
      await server.close()
    }
  })

  it('works in mounted sub-apps, which swap the request prototype', async () => {
    const app = express()
    const sub = express()
    app.use(cookieParser('s3cret'))
    sub.get('/', (req, res) => {
      res.json({ cookies: req.cookies, secret: (req as { secret?: string }).secret })
    })
    app.use('/sub', sub)
    const server = await serve(app)
    try {
      expect(await (await get(`${server.url}/sub`, { cookie: 'a=1' })).json()).toEqual({ cookies: { a: '1' }, secret: 's3cret' })
    } finally {
      await server.close()
    }
  })

  it('lets routes assign req.cookies', async () => {
    const app = express()
    app.use(cookieParser())
    app.get('/', (req, res) => {
      req.cookies = { replaced: true }
      res.json(req.cookies)
    })
    const server = await serve(app)
    try {
      expect(await (await get(server.url, { cookie: 'a=1' })).json()).toEqual({ replaced: true })
    } finally {
      await server.close()
    }
  })

  it("keeps cookie-parser's helpers", () => {
    expect(cookieParser.JSONCookie('j:{"a":1}')).toEqual({ a: 1 })
    expect(typeof cookieParser.signedCookies).toBe('function')
  })
})
