import { IncomingMessage, type RequestListener } from 'node:http'
import express from 'express'
import realCookieParser from 'cookie-parser'
import { sign } from 'cookie-signature'
import { describe, expect, it } from 'vitest'
import { cookieParser } from '../src/index.js'
import { EXPRESS_VERSIONS } from './support/guide-app.js'
import { get, serve } from './support/http.js'

/** What a request looks like to a route: whether it has the cookie properties, and how each is held. */
function shapeOf(req: IncomingMessage) {
  const shape = (name: string) => {
    if (!(name in req)) return 'absent'
    return Object.getOwnPropertyDescriptor(req, name)?.get ? 'accessor' : 'value'
  }
  return { cookies: shape('cookies'), signedCookies: shape('signedCookies'), secret: shape('secret') }
}

async function answer(app: RequestListener, path = '/', cookie = 'a=1') {
  const server = await serve(app)
  try {
    return await (await get(`${server.url}${path}`, { cookie })).json()
  } finally {
    await server.close()
  }
}

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

  it('changes no other app or server in the process: their requests stay as Node and Express make them', async () => {
    const parsing = express()
    parsing.use(cookieParser('s3cret'))
    parsing.get('/', (req, res) => {
      res.json({ ...shapeOf(req), a: req.cookies.a })
    })
    expect(await answer(parsing)).toEqual({ cookies: 'accessor', signedCookies: 'accessor', secret: 'accessor', a: '1' })

    const without = express()
    without.get('/', (req, res) => {
      res.json(shapeOf(req))
    })
    const absent = { cookies: 'absent', signedCookies: 'absent', secret: 'absent' }
    expect(await answer(without)).toEqual(absent)

    // A Node server without Express, as serve() runs it.
    expect(await answer((req, res) => res.end(JSON.stringify(shapeOf(req))))).toEqual(absent)

    const withReal = express()
    withReal.use(realCookieParser('other'))
    withReal.get('/', (req, res) => {
      res.json({ ...shapeOf(req), a: req.cookies.a })
    })
    expect(await answer(withReal)).toEqual({ cookies: 'value', signedCookies: 'value', secret: 'value', a: '1' })

    for (const prototype of [IncomingMessage.prototype, express.request]) {
      expect(Object.getOwnPropertyNames(prototype)).not.toContain('cookies')
    }
  })

  it('in one app, leaves requests on paths without it as they are', async () => {
    const app = express()
    app.use('/parsed', cookieParser())
    app.get('/parsed', (req, res) => {
      res.json(req.cookies)
    })
    app.get('/other', (req, res) => {
      res.json(shapeOf(req))
    })
    expect(await answer(app, '/parsed')).toEqual({ a: '1' })
    expect(await answer(app, '/other')).toEqual({ cookies: 'absent', signedCookies: 'absent', secret: 'absent' })
  })

  for (const [version, factory] of EXPRESS_VERSIONS) {
    it(`keeps the cookies after a sub-app that parsed them hands the request back (${version})`, async () => {
      const app = factory()
      const sub = factory()
      sub.use(cookieParser('s3cret'))
      sub.get('/seen', (req, res, next) => {
        res.locals.inside = req.cookies.a
        next()
      })
      app.use('/sub', sub)
      app.get('/sub/seen', (req, res) => {
        res.json({ inside: res.locals.inside, after: req.cookies.a, secret: (req as { secret?: string }).secret })
      })
      expect(await answer(app, '/sub/seen')).toEqual({ inside: '1', after: '1', secret: 's3cret' })
    })
  }

  it("keeps cookie-parser's helpers", () => {
    expect(cookieParser.JSONCookie('j:{"a":1}')).toEqual({ a: 1 })
    expect(typeof cookieParser.signedCookies).toBe('function')
  })
})
