// The app's own record of its users, keyed by the AuthRocket/Airlock user id (ar_user_id), as projects are keyed
// by the account's id: a row is made the first time the app sees a user, so the home page can tell a user who
// has just signed up ("Welcome") from one coming back ("Welcome back"). In the same SQLite file as the projects.
const path = require('path')
const { openDatabase } = require('./database')
const { dataDir } = require('./project')

/** The users table in one SQLite file (created with its folder on first use). */
class UserStore {
  /** @param {string} file */
  constructor(file) {
    this.db = openDatabase(file)
    this.db.exec('create table if not exists users (ar_user_id text primary key, first_seen_at text not null)')
  }

  /**
   * Records that the user has been here. True only for the call that made their row: their first visit.
   * @param {string} ar_user_id
   * @returns {boolean}
   */
  firstVisit(ar_user_id) {
    if (typeof ar_user_id !== 'string' || ar_user_id === '') throw new TypeError('firstVisit() needs an ar_user_id')
    const { changes } = this.db
      .prepare('insert into users (ar_user_id, first_seen_at) values (?, ?) on conflict do nothing')
      .run(ar_user_id, new Date().toISOString())
    return changes === 1
  }

  close() {
    this.db.close()
  }
}

/** @type {UserStore | null} */
let store = null

/** The app's store, opened on first use, so loading the app touches no file. */
const User = {
  /** @param {string} ar_user_id */
  firstVisit: (ar_user_id) => open().firstVisit(ar_user_id),
  close() {
    store?.close()
    store = null
  },
}

function open() {
  if (!store) store = new UserStore(path.join(dataDir(), 'example.db'))
  return store
}

module.exports = { User, UserStore }
