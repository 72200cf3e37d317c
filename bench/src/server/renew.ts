/**
 * Renewals per second: `POST /connect/renew` with valid tokens of many distinct LoginRocket sessions (taken
 * in turn) over HTTP with autocannon, the server on one core; the baseline is the same server's
 * `GET /healthz`, interleaved with it. Target: ≥ 600 renewals/s on that one core.
 */
import { readdir } from 'node:fs/promises'
import { fmt, fmtFixed, median, ratioText, table } from '../lib/stats.js'
import { prepareData, removeDir, startAirlock, tempDir } from './airlock.js'
import { LoadGenerator, interleave, medianSample, pinningNote, sampled, serverCore, type Sample, type Schedule } from './measure.js'
import { verdictText, type CommonOptions, type Verdict } from './summary.js'

export const RENEW_TARGET = 600

export interface RenewOptions extends CommonOptions, Schedule {
  connections: number
  sessions: number
}

type Scenario = 'healthz' | 'renew'

export async function renewBench(o: RenewOptions): Promise<Verdict> {
  const { log } = o
  log(`Pinning: ${pinningNote()}`)
  const dataDir = tempDir('renew')
  let airlock: Awaited<ReturnType<typeof startAirlock>> | undefined
  let load: LoadGenerator | undefined
  let results: Map<Scenario, Sample[]>
  try {
    const t0 = performance.now()
    const prepared = await prepareData({ dataDir, users: 50, sessions: o.sessions })
    log(`${prepared.tokens.length} sessions of ${prepared.emails.length} users, with a token each, made in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    airlock = await startAirlock({
      dataDir,
      port: prepared.port,
      core: serverCore(),
      nodeArgs: o.profile ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [],
    })
    await sanity(airlock.url, prepared.tokens[0]!)

    load = await LoadGenerator.start()
    await load.setup({ tokens: prepared.tokens, emails: [], password: '', redirectUri: '' })
    log(
      `healthz and renew, interleaved: ${o.warmupSec > 0 ? `a ${o.warmupSec} s warm-up round, then ` : ''}${o.rounds} round(s) of ${o.durationSec} s each; ` +
        `${o.connections} connections`,
    )
    const server = airlock
    const generator = load
    const measure = (scenario: Scenario, secs: number) =>
      sampled(server.pid, async () => {
        const r = await generator.run(server.url, scenario === 'healthz' ? { kind: 'get', path: '/healthz' } : { kind: 'renew' }, secs, o.connections)
        return { completed: r.completed, elapsedSec: r.elapsedSec, loadCpuUs: r.cpuUs, latencyP50Ms: r.latencyP50Ms, latencyP99Ms: r.latencyP99Ms }
      })
    results = await interleave(['healthz', 'renew'] as const, measure, o)
  } finally {
    await load?.stop()
    await airlock?.stop()
    removeDir(dataDir)
  }

  const health = median(results.get('healthz')!.map((s) => s.rate))
  const renew = median(results.get('renew')!.map((s) => s.rate))
  const pass = renew >= RENEW_TARGET
  const rows = (['healthz', 'renew'] as const).map((scenario) => {
    const samples = results.get(scenario)!
    const m = medianSample(samples)
    return [
      scenario,
      fmt(m.rate),
      samples.map((s) => fmt(s.rate)).join(' / '),
      ratioText(m.rate / health),
      scenario === 'renew' ? `${verdictText(pass)} (${pass ? '≥' : '<'} ${RENEW_TARGET}/s)` : '',
      fmtFixed(m.cpuUsPerOp, 0),
      fmtFixed(m.loopUsPerOp, 0),
      m.targetCores.toFixed(2),
      m.loadCores.toFixed(2),
      Number.isNaN(m.coreOthers) ? 'n/a' : m.coreOthers.toFixed(2),
      `${fmt(m.latencyP50Ms)} / ${fmt(m.latencyP99Ms)}`,
    ]
  })
  log('')
  log(
    table(
      ['scenario', 'req/s (median)', 'req/s per round', 'vs healthz', 'target', 'server CPU µs/req', 'main thread µs/req', 'server cores', 'autocannon cores', 'others on its core', 'p50 / p99 ms'],
      rows,
      [false, true, true, true, false, true, true, true, true, true, true],
    ),
  )
  log('')
  log(`Renewals/s ${fmt(renew)} on one core (healthz ${fmt(health)}/s, same server, same run: ${ratioText(renew / health)}) — ${verdictText(pass)} (target ≥ ${RENEW_TARGET}/s)`)
  if (o.profile && airlock) {
    for (const file of (await readdir(o.profileDir)).filter((f) => f.includes(`.${airlock.pid}.0.`))) log(`CPU profile of the server's event loop: ${o.profileDir}/${file}`)
  }
  return {
    bench: 'renewals/s, one core',
    figure: `${fmt(renew)}/s`,
    baseline: `healthz ${fmt(health)}/s`,
    ratio: ratioText(renew / health),
    target: `≥ ${RENEW_TARGET}/s`,
    pass,
  }
}

/** A valid token renews (200 with a token); a forged one gets 401. */
async function sanity(origin: string, token: string): Promise<void> {
  const renew = (t: string) => fetch(`${origin}/connect/renew`, { method: 'POST', headers: { authorization: `Bearer ${t}` } })
  const ok = await renew(token)
  const body = (await ok.json()) as { token?: string }
  if (ok.status !== 200 || typeof body.token !== 'string') throw new Error(`renewing a valid token got ${ok.status} ${JSON.stringify(body)}`)
  const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA')
  const refused = await renew(forged)
  await refused.arrayBuffer()
  if (refused.status !== 401) throw new Error(`a forged token got ${refused.status}, not 401`)
}
