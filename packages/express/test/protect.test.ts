import type { JWTPayload } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arMiddleware, cookieParser, requireLogin, requirePermission } from '../src/index.js'
import { FakeLoginRocket } from './support/fake-loginrocket.js'
import { EXPRESS_VERSIONS, guideApp, whoami } from './support/guide-app.js'
import { comeBack, startLogin } from './support/handoff.js'
import { get, serve, setCookies, type Running } from './support/http.js'

describe.each(EXPRESS_VERSIONS)('protecting routes with %s', (_name, express) => {
  let lr: FakeLoginRocket
  let app: Running
  let cookie: (claims?: JWTPayload) => Promise<{ cookie: string }>

  beforeAll(async () => {
    lr = await FakeLoginRocket.start()
    app = await serve(guideApp(express, { authrocket: { loginrocketUrl: lr.url } }))
    cookie = async (claims = {}) => ({ cookie: `arToken=${await lr.sign({ claims })}` })
  })
  afterAll(async () => {
    await app.close()
    await lr.close()
  })

  const adminClaims = { orgs: [{ mid: 'mb_2', oid: 'org_2', name: 'Acme', perm: ['site:admin'], selected: true }] }

  describe('a single route with requireLogin', () => {
    it('sends an anonymous browser to the LoginRocket login page with redirect_uri back to the route', async () => {
      const res = await get(`${app.url}/private?page=2`, { accept: 'text/html' })
      expect(res.status).toBe(302)
      const location = new URL(res.headers.get('location')!)
      expect(location.origin + location.pathname).toBe(`${lr.url}/login`)
      expect(location.searchParams.get('redirect_uri')).toBe(`${app.url}/private?page=2`)
    })

    it('answers an anonymous JSON client with 401 and WWW-Authenticate: Bearer', async () => {
      const res = await get(`${app.url}/private`, { accept: 'application/json' })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="airlock"')
      expect(await res.json()).toEqual({ error: 'login_required', message: 'Log in to continue.' })
    })

    it('answers an invalid bearer token with 401 and error="invalid_token"', async () => {
      const res = await get(`${app.url}/private`, { authorization: 'Bearer abc.def.ghi' })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="airlock", error="invalid_token"/)
    })

    it('treats an XHR as a JSON client', async () => {
      const res = await get(`${app.url}/private`, { 'x-requested-with': 'XMLHttpRequest' })
      expect(res.status).toBe(401)
    })

    it('lets a logged-in user through', async () => {
      const res = await get(`${app.url}/private`, await cookie())
      expect(res.status).toBe(200)
    })
  })

  describe("a sub-router with requireLogin and the guide's site:admin check", () => {
    it('sends anonymous browsers to login', async () => {
      const res = await get(`${app.url}/admin`)
      expect(res.status).toBe(302)
      expect(new URL(res.headers.get('location')!).searchParams.get('redirect_uri')).toBe(`${app.url}/admin`)
    })

    it('refuses a member without site:admin with 403', async () => {
      const res = await get(`${app.url}/admin`, await cookie())
      expect(res.status).toBe(403)
    })

    it('lets a member with site:admin in', async () => {
      const res = await get(`${app.url}/admin`, await cookie(adminClaims))
      expect(res.status).toBe(200)
      expect((await res.json()).permissions).toEqual(['site:admin'])
    })

    it('leaves routes outside the sub-router public', async () => {
      const res = await get(`${app.url}/`)
      expect(res.status).toBe(200)
      expect((await res.json()).user).toBeNull()
    })
  })

  describe('the entire app with requireLogin', () => {
    let whole: Running
    beforeAll(async () => {
      const app = express()
      app.use(cookieParser())
      app.use(arMiddleware({ authrocket: { loginrocketUrl: lr.url } }))
      app.use(requireLogin)
      app.get('/anything', (req, res) => {
        res.json(whoami(req))
      })
      whole = await serve(app)
    })
    afterAll(() => whole.close())

    it('sends every anonymous page to login', async () => {
      for (const path of ['/', '/anything', '/missing']) {
        const res = await get(`${whole.url}${path}`)
        expect(res.status).toBe(302)
        expect(res.headers.get('location')).toContain(`${lr.url}/login?redirect_uri=`)
      }
    })

    it('still takes ?token= from LoginRocket, so the login can complete', async () => {
      const trip = await startLogin(`${whole.url}/anything`)
      const res = await comeBack(trip, await lr.sign({ claims: { nonce: trip.nonce } }))
      expect(res.status).toBe(302)
      expect(res.headers.get('location')).toBe('/anything')
      const login = setCookies(res).find((c) => c.name === 'arToken')!
      const next = await get(`${whole.url}/anything`, { cookie: `${login.name}=${login.value}` })
      expect(next.status).toBe(200)
    })

    it('does not send a POST back to itself after login', async () => {
      const res = await get(`${whole.url}/anything`, {}, 'POST')
      expect(new URL(res.headers.get('location')!).searchParams.get('redirect_uri')).toBe(`${whole.url}/`)
    })
  })

  describe('requirePermission', () => {
    it('lets through a membership holding any one of the permissions (names or patterns)', async () => {
      expect((await get(`${app.url}/moderate`, await cookie())).status).toBe(200)
      expect((await get(`${app.url}/moderate`, await cookie(adminClaims))).status).toBe(200)
    })

    it('answers a browser lacking them with a 403 page', async () => {
      const res = await get(`${app.url}/moderate`, await cookie({ orgs: [] }))
      expect(res.status).toBe(403)
      expect(res.headers.get('content-type')).toMatch(/text\/html/)
      expect(await res.text()).toContain('Permission needed')
    })

    it('answers a JSON client lacking them with a 403 error code', async () => {
      const res = await get(`${app.url}/moderate`, { ...(await cookie({ orgs: [] })), accept: 'application/json' })
      expect(res.status).toBe(403)
      expect(await res.json()).toMatchObject({ error: 'permission_denied' })
    })

    it('treats anonymous requests as requireLogin does', async () => {
      expect((await get(`${app.url}/moderate`)).status).toBe(302)
      expect((await get(`${app.url}/moderate`, { accept: 'application/json' })).status).toBe(401)
    })

    it('refuses to be built without permissions, or used without being called', () => {
      expect(() => requirePermission()).toThrow(/at least one permission/)
      expect(() => requirePermission('' as string)).toThrow(/permission names or RegExps/)
      expect(() => (requirePermission as any)({ headers: {}, method: 'GET' }, {}, () => {})).toThrow(
        /must be called with the permissions/,
      )
    })
  })

  it('requireLogin without arMiddleware says what is missing', async () => {
    const bare = express()
    bare.get('/', requireLogin, (_req, res) => {
      res.send('never')
    })
    bare.use((error: Error, _req: unknown, res: any, _next: unknown) => res.status(500).send(error.message))
    const server = await serve(bare)
    try {
      expect(await (await get(server.url)).text()).toMatch(/arMiddleware\(\) must be in the middleware list before requireLogin/)
    } finally {
      await server.close()
    }
  })
})
