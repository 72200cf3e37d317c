// The app's record of its users (models/user.js): what tells a first visit from a return.
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from './support/processes.js'

const require = createRequire(import.meta.url)
const { UserStore } = require('../models/user.js') as typeof import('../models/user.js')

let dir: string
let store: InstanceType<typeof UserStore>

beforeEach(() => {
  dir = tempDir('airlock-example-users-')
  store = new UserStore(join(dir, 'nested', 'example.db'))
})

afterEach(() => {
  store.close()
  removeDir(dir)
})

describe('UserStore.firstVisit', () => {
  it('is true the first time a user is seen and false every time after', () => {
    expect(store.firstVisit('usr_a')).toBe(true)
    expect(store.firstVisit('usr_a')).toBe(false)
    expect(store.firstVisit('usr_b')).toBe(true)
    expect(store.firstVisit('usr_a')).toBe(false)
  })

  it('remembers users across restarts', () => {
    store.firstVisit('usr_a')
    store.close()
    store = new UserStore(join(dir, 'nested', 'example.db'))
    expect(store.firstVisit('usr_a')).toBe(false)
  })

  it('refuses a missing user id rather than recording one for everybody', () => {
    expect(() => store.firstVisit('')).toThrow(TypeError)
    expect(() => store.firstVisit(undefined as unknown as string)).toThrow(TypeError)
  })
})
