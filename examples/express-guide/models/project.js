// The app's own data: projects, each owned by an account (an AuthRocket/Airlock org) through ar_org_id,
// as in the guide's "Connecting to your app's data". SQLite (better-sqlite3), in EXAMPLE_DATA/example.db.
const path = require('path')
const { openDatabase } = require('./database')

const NAME_MAX = 100

/**
 * @typedef {{ id: number, ar_org_id: string, name: string, created_by: string, created_by_name: string, created_at: string }} ProjectRow
 * @typedef {{ ar_org_id: string, projects: number, last_created_at: string }} AccountSummary
 */

/** A name a user typed that can't be used; `message` says why. */
class InvalidProject extends Error {}

/** The projects table in one SQLite file (created with its folder on first use). */
class ProjectStore {
  /** @param {string} file */
  constructor(file) {
    this.db = openDatabase(file)
    this.db.exec(`
      create table if not exists projects (
        id integer primary key,
        ar_org_id text not null,
        name text not null,
        created_by text not null,
        created_by_name text not null,
        created_at text not null
      );
      create index if not exists projects_by_org on projects (ar_org_id, id);
    `)
  }

  /**
   * The projects of one account, newest first: the guide's `Account.find({ ar_org_id: ... })`.
   * @param {{ ar_org_id: string }} where
   * @returns {ProjectRow[]}
   */
  find({ ar_org_id }) {
    if (typeof ar_org_id !== 'string' || ar_org_id === '') throw new TypeError('find() needs an ar_org_id')
    return /** @type {ProjectRow[]} */ (
      this.db.prepare('select * from projects where ar_org_id = ? order by id desc').all(ar_org_id)
    )
  }

  /**
   * Adds a project to an account. Throws InvalidProject when the name is empty or too long.
   * @param {{ ar_org_id: string, name: string, created_by: string, created_by_name: string }} project
   * @returns {ProjectRow}
   */
  create({ ar_org_id, name, created_by, created_by_name }) {
    if (typeof ar_org_id !== 'string' || ar_org_id === '') throw new TypeError('create() needs an ar_org_id')
    const trimmed = String(name ?? '').trim()
    if (trimmed === '') throw new InvalidProject('Give the project a name.')
    if (trimmed.length > NAME_MAX) throw new InvalidProject(`Project names can be at most ${NAME_MAX} characters long.`)
    const created_at = new Date().toISOString()
    const { lastInsertRowid } = this.db
      .prepare('insert into projects (ar_org_id, name, created_by, created_by_name, created_at) values (?, ?, ?, ?, ?)')
      .run(ar_org_id, trimmed, created_by, created_by_name, created_at)
    return { id: Number(lastInsertRowid), ar_org_id, name: trimmed, created_by, created_by_name, created_at }
  }

  /**
   * How many projects each account has (for the site admin page), busiest first.
   * @returns {AccountSummary[]}
   */
  accounts() {
    return /** @type {AccountSummary[]} */ (
      this.db
        .prepare('select ar_org_id, count(*) as projects, max(created_at) as last_created_at from projects group by ar_org_id order by projects desc, ar_org_id')
        .all()
    )
  }

  close() {
    this.db.close()
  }
}

/** The folder of the app's data: EXAMPLE_DATA, or .airlock/ in the example's own folder. */
function dataDir() {
  return path.resolve(process.env.EXAMPLE_DATA || path.join(__dirname, '..', '.airlock'))
}

/** @type {ProjectStore | null} */
let store = null

/** The app's store, opened on first use, so loading the app touches no file. */
const Project = {
  /** @param {{ ar_org_id: string }} where */
  find: (where) => open().find(where),
  /** @param {{ ar_org_id: string, name: string, created_by: string, created_by_name: string }} project */
  create: (project) => open().create(project),
  accounts: () => open().accounts(),
  close() {
    store?.close()
    store = null
  },
}

function open() {
  if (!store) store = new ProjectStore(path.join(dataDir(), 'example.db'))
  return store
}

module.exports = { Project, ProjectStore, InvalidProject, NAME_MAX, dataDir }
