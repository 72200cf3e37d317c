import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The local PostgreSQL (trust auth) that CI and developers' machines run. */
export const PG_ADMIN_URL = process.env.AIRLOCK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Which databases the integration suites run on: both unless AIRLOCK_TEST_DIALECTS narrows it. */
export const DIALECTS = (process.env.AIRLOCK_TEST_DIALECTS ?? 'sqlite,postgres').split(',') as ('sqlite' | 'postgres')[]

/** A new, empty PostgreSQL database for one test file; `drop` removes it. */
export async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `airlock_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  return {
    url: url.href,
    async drop() {
      const client = new pg.Client({ connectionString: PG_ADMIN_URL })
      await client.connect()
      await client.query(`drop database if exists ${name} with (force)`)
      await client.end()
    },
  }
}
