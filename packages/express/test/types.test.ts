import type { Request, Response } from 'express'
import { describe, expect, expectTypeOf, it } from 'vitest'
import * as airlock from '../src/index.js'
import type { AuthRocket, Membership, Org, Session, UrlParams, User } from '../src/index.js'

describe('types', () => {
  it('req.authrocket and res.locals.authrocket are optional AuthRocket helpers', () => {
    expectTypeOf<Request['authrocket']>().toEqualTypeOf<AuthRocket | undefined>()
    expectTypeOf<Response['locals']['authrocket']>().toEqualTypeOf<AuthRocket | undefined>()
  })

  it('the helpers have the AuthRocket shapes', () => {
    expectTypeOf<AuthRocket['currentUser']>().toEqualTypeOf<User | null>()
    expectTypeOf<AuthRocket['currentOrg']>().toEqualTypeOf<Org | null>()
    expectTypeOf<AuthRocket['currentMembership']>().toEqualTypeOf<Membership | null>()
    expectTypeOf<AuthRocket['currentSession']>().toEqualTypeOf<Session | null>()
    expectTypeOf<Membership['permissions']>().toEqualTypeOf<string[]>()
    expectTypeOf<User['memberships']>().toEqualTypeOf<Membership[] | undefined>()
  })

  it("matches AuthRocket's types: session times in Unix seconds, requestUri a URL, safeThisUri a string", () => {
    expectTypeOf<Session['created_at']>().toEqualTypeOf<number>()
    expectTypeOf<Session['expires_at']>().toEqualTypeOf<number>()
    expectTypeOf<AuthRocket['requestUri']>().returns.toEqualTypeOf<URL>()
    expectTypeOf<AuthRocket['safeThisUri']>().returns.toEqualTypeOf<string>()
    expectTypeOf<AuthRocket['arAccountsUrl']>().parameter(0).toEqualTypeOf<UrlParams | undefined>()
    expectTypeOf<UrlParams[string]>().toEqualTypeOf<string | number | boolean | URL | null | undefined>()
  })

  it('exports the AuthRocket helper as a type only: apps cannot construct it', () => {
    // Never called: it is here for the type checker, which must refuse it (for that reason alone: the arguments fit).
    const construct = (...args: ConstructorParameters<typeof AuthRocket>) =>
      // @ts-expect-error: AuthRocket is exported with `export type`
      new airlock.AuthRocket(...args)
    expectTypeOf(construct).toBeFunction()
    expect(Object.keys(airlock)).not.toContain('AuthRocket')
  })

  it('adds no global req.user', () => {
    // @ts-expect-error: only `authrocket` is declared on Request
    expectTypeOf<Request['user']>().toBeUnknown()
  })
})
