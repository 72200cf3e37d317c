import type { Request, Response } from 'express'
import { describe, expectTypeOf, it } from 'vitest'
import type { AuthRocket, Membership, Org, Session, User } from '../src/index.js'

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
    expectTypeOf<User['memberships']>().toEqualTypeOf<Membership[]>()
  })

  it('adds no global req.user', () => {
    // @ts-expect-error: only `authrocket` is declared on Request
    expectTypeOf<Request['user']>().toBeUnknown()
  })
})
