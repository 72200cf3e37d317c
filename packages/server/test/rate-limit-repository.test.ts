import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../src/db/connect.js'
import { migrate } from '../src/db/migrate.js'
import { rateLimitRepository, type RateLimitFailure, type RateLimitRepository, type RateLimitWindow } from '../src/db/repositories/rate-limits.js'
import { DIALECTS, freshPostgres } from './support/dialects.js'

/**
 * The rate limits' storage contract, on each database's own statements: a request's windows are taken all or
 * none, check-only windows are checked without a point, parallel requests never spend more than a window's
 * points, and settling gives back, clears, forgets and adds as asked. (test/throttle.test.ts and
 * test/multi-process.test.ts check the limits themselves over HTTP, in one process and across several.)
 */
describe.each(DIALECTS)('the rate limits repository on %s', (dialect) => {
  let db: Db
  let repo: RateLimitRepository
  let cleanUp: () => Promise<void>
  const failures: RateLimitFailure[] = []
  let n = 0

  beforeAll(async () => {
    if (dialect === 'postgres') {
      const database = await freshPostgres()
      db = openDatabase({ databaseUrl: database.url, dataDir: '' })
      cleanUp = database.drop
    } else {
      const dataDir = mkdtempSync(join(tmpdir(), 'airlock-rate-limits-'))
      db = openDatabase({ dataDir })
      cleanUp = async () => rmSync(dataDir, { recursive: true, force: true })
    }
    await migrate(db)
    repo = rateLimitRepository(db, (failure) => void failures.push(failure))
  })
  afterAll(async () => {
    await db?.close()
    await cleanUp?.()
    expect(failures).toEqual([])
  })

  const window = (limit: string, points: number, checkOnly = false): RateLimitWindow => ({ key: `${limit}:${++n}`, limit, points, durationMs: 60_000, checkOnly })
  const pointsOf = async (w: RateLimitWindow) => (await db.kysely.selectFrom('rate_limits').select('points').where('key', '=', w.key).executeTakeFirst())?.points
  /** Settlements may be written a moment later, but never after a reservation that follows them. */
  const settled = () => repo.reserve([window('flush', 1)], Date.now())

  it("takes a request's windows all or none: a spent-out one refuses it, says when it resets, and the others keep their points", async () => {
    const tight = window('tight', 2)
    const loose = window('loose', 5)
    const now = Date.now()
    expect(await repo.reserve([tight, loose], now)).toEqual({ allowed: true })
    expect(await repo.reserve([tight, loose], now)).toEqual({ allowed: true })
    expect(await repo.reserve([tight, loose], now + 1_000)).toEqual({ allowed: false, retryAfterMs: 59_000, refusedBy: ['tight'] })
    expect(await pointsOf(loose)).toBe(2)
    expect(await pointsOf(tight)).toBe(2)
  })

  it('a window that ended starts afresh', async () => {
    const w = window('short', 1)
    const now = Date.now()
    expect(await repo.reserve([w], now)).toEqual({ allowed: true })
    expect((await repo.reserve([w], now)).allowed).toBe(false)
    expect(await repo.reserve([w], now + 60_000)).toEqual({ allowed: true })
  })

  it('checks a check-only window without a point, and refuses once one more failure would pass its limit', async () => {
    const failing = window('failures', 2, true)
    const now = Date.now()
    for (let i = 0; i < 3; i++) expect(await repo.reserve([failing], now)).toEqual({ allowed: true })
    expect(await pointsOf(failing)).toBe(0)
    await repo.settle([], [], [], [failing], now)
    expect(await repo.reserve([failing], now)).toEqual({ allowed: true })
    await repo.settle([], [], [], [failing], now)
    expect((await repo.reserve([failing], now)).allowed).toBe(false)
    expect(await pointsOf(failing)).toBe(2)
  })

  it("parallel reservations never spend more than a window's points", async () => {
    const w = window('parallel', 10)
    const answers = await Promise.all(Array.from({ length: 30 }, () => repo.reserve([w], Date.now())))
    expect(answers.filter((answer) => answer.allowed)).toHaveLength(10)
    expect(await pointsOf(w)).toBe(10)
  })

  it('settling gives points back, clears windows, and forgets a key with its per-address keys only', async () => {
    const given = window('given', 5)
    const cleared = window('cleared', 5)
    const account = window('account', 5)
    const perAddress: RateLimitWindow = { ...account, key: `${account.key}:address` }
    const neighbour: RateLimitWindow = { ...account, key: `${account.key}0` }
    const now = Date.now()
    for (const w of [given, given, cleared, account, perAddress, neighbour]) await repo.reserve([w], now)
    await repo.settle([given], [cleared], [account], [], now)
    await settled()
    expect(await pointsOf(given)).toBe(1)
    expect(await pointsOf(cleared)).toBeUndefined()
    expect(await pointsOf(account)).toBeUndefined()
    expect(await pointsOf(perAddress)).toBeUndefined()
    expect(await pointsOf(neighbour)).toBe(1)
  })

  it('sweeps the windows that ended before the given time, and only those', async () => {
    const old = window('old', 5)
    const running = window('running', 5)
    const now = Date.now()
    await repo.reserve([old], now - 120_000)
    await repo.reserve([running], now)
    await repo.sweep(now - 30_000)
    expect(await pointsOf(old)).toBeUndefined()
    expect(await pointsOf(running)).toBe(1)
  })
})
