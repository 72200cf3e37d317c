// The example's SQLite file, opened the same way by each model: its folder made, WAL so readers don't wait for
// writers, and a few seconds' patience when another connection holds the write lock.
const fs = require('fs')
const path = require('path')
const Database = require('better-sqlite3')

/** @param {string} file */
function openDatabase(file) {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 5000')
  return db
}

module.exports = { openDatabase }
