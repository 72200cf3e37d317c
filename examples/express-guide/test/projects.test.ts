// The app's data module (models/project.js) on its own: every read and write is scoped by ar_org_id.
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exampleDir, removeDir, tempDir } from './support/processes.js'

const require = createRequire(import.meta.url)
const { ProjectStore, InvalidProject, Project, dataDir } = require('../models/project.js') as typeof import('../models/project.js')

let dir: string
let store: InstanceType<typeof ProjectStore>

beforeEach(() => {
  dir = tempDir('airlock-example-projects-')
  store = new ProjectStore(join(dir, 'nested', 'example.db'))
})

afterEach(() => {
  store.close()
  removeDir(dir)
})

const by = { created_by: 'usr_1', created_by_name: 'Dave Smith' }

describe('ProjectStore', () => {
  it('finds only the projects of the account asked for, newest first', () => {
    store.create({ ar_org_id: 'org_a', name: 'A one', ...by })
    store.create({ ar_org_id: 'org_b', name: 'B one', ...by })
    store.create({ ar_org_id: 'org_a', name: 'A two', ...by })
    expect(store.find({ ar_org_id: 'org_a' }).map((p) => p.name)).toEqual(['A two', 'A one'])
    expect(store.find({ ar_org_id: 'org_b' }).map((p) => p.name)).toEqual(['B one'])
    expect(store.find({ ar_org_id: 'org_c' })).toEqual([])
  })

  it('refuses to read or write without an account id, rather than mixing accounts', () => {
    expect(() => store.find({ ar_org_id: '' })).toThrow(TypeError)
    expect(() => store.find({} as { ar_org_id: string })).toThrow(TypeError)
    expect(() => store.create({ ar_org_id: '', name: 'Orphan', ...by })).toThrow(TypeError)
  })

  it('trims names and refuses empty or over-long ones with a message for the user', () => {
    expect(store.create({ ar_org_id: 'org_a', name: '  Tidy  ', ...by }).name).toBe('Tidy')
    expect(() => store.create({ ar_org_id: 'org_a', name: ' ', ...by })).toThrow(InvalidProject)
    expect(() => store.create({ ar_org_id: 'org_a', name: 'x'.repeat(101), ...by })).toThrow('at most 100 characters')
    expect(store.create({ ar_org_id: 'org_a', name: 'x'.repeat(100), ...by }).name).toHaveLength(100)
  })

  it('returns what it stored, with who added it and when', () => {
    const created = store.create({ ar_org_id: 'org_a', name: 'Launch', ...by })
    expect(created).toMatchObject({ ar_org_id: 'org_a', name: 'Launch', created_by: 'usr_1', created_by_name: 'Dave Smith' })
    expect(new Date(created.created_at).getTime()).toBeGreaterThan(Date.now() - 60_000)
    expect(store.find({ ar_org_id: 'org_a' })).toEqual([created])
  })

  it('counts projects per account for the site admin, busiest first', () => {
    store.create({ ar_org_id: 'org_b', name: 'B', ...by })
    store.create({ ar_org_id: 'org_a', name: 'A1', ...by })
    store.create({ ar_org_id: 'org_a', name: 'A2', ...by })
    expect(store.accounts().map(({ ar_org_id, projects }) => [ar_org_id, projects])).toEqual([
      ['org_a', 2],
      ['org_b', 1],
    ])
  })

  it('keeps the data in its file across restarts', () => {
    store.create({ ar_org_id: 'org_a', name: 'Kept', ...by })
    store.close()
    store = new ProjectStore(join(dir, 'nested', 'example.db'))
    expect(store.find({ ar_org_id: 'org_a' }).map((p) => p.name)).toEqual(['Kept'])
  })
})

describe('the app store (Project)', () => {
  it('lives in EXAMPLE_DATA/example.db, opened on first use only', () => {
    const previous = process.env.EXAMPLE_DATA
    process.env.EXAMPLE_DATA = join(dir, 'app-data')
    try {
      expect(dataDir()).toBe(join(dir, 'app-data'))
      expect(existsSync(join(dir, 'app-data'))).toBe(false)
      Project.create({ ar_org_id: 'org_a', name: 'First', ...by })
      expect(existsSync(join(dir, 'app-data', 'example.db'))).toBe(true)
      expect(Project.find({ ar_org_id: 'org_a' }).map((p) => p.name)).toEqual(['First'])
    } finally {
      Project.close()
      if (previous === undefined) delete process.env.EXAMPLE_DATA
      else process.env.EXAMPLE_DATA = previous
    }
  })

  it("defaults to .airlock/ in the example's folder", () => {
    const previous = process.env.EXAMPLE_DATA
    delete process.env.EXAMPLE_DATA
    try {
      expect(dataDir()).toBe(join(exampleDir, '.airlock'))
    } finally {
      if (previous !== undefined) process.env.EXAMPLE_DATA = previous
    }
  })
})

