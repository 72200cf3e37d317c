/**
 * Summarises a V8 .cpuprofile (from `--profile`, i.e. `node --cpu-prof`): the functions with the
 * most self time, and the inclusive (total) time of the functions whose name or file matches a
 * filter. Usage: tsx src/cpuprofile.ts FILE [--top N] [--match REGEXP]
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  hitCount?: number
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, match: { type: 'string' } },
})
const file = positionals[0]
if (!file) throw new Error('usage: tsx src/cpuprofile.ts FILE.cpuprofile [--top N] [--match REGEXP]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile

const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

// Self time per node from the samples and their time deltas (microseconds).
const selfUs = new Map<number, number>()
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0)

const short = (url: string) => url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '').replace(/^.*\/packages\//, 'packages/')
const label = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${f.url ? `${short(f.url)}:${f.lineNumber + 1}` : ''}`.trim()

const self = new Map<string, number>()
for (const [id, us] of selfUs) {
  const key = label(byId.get(id)!.callFrame)
  self.set(key, (self.get(key) ?? 0) + us)
}
const pct = (us: number) => `${((100 * us) / totalUs).toFixed(1).padStart(5)}%`
const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, us]) => a + us, 0)
console.log(`${(totalUs / 1e6).toFixed(1)} s sampled, ${pct(idle)} idle\n\nSelf time:`)
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`${pct(us)}  ${key}`)

if (values.match) {
  // Inclusive time: every sample counts once for each distinct matching function on its stack.
  const re = new RegExp(values.match)
  const inclusive = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = label(byId.get(at)!.callFrame)
      if (re.test(key)) seen.add(key)
    }
    for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  console.log(`\nTotal (inclusive) time of functions matching ${re}:`)
  for (const [key, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`${pct(us)}  ${key}`)
}
