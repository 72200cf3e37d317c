/** CPU and memory accounting from /proc (Linux), shared by the benchmarks. */
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'

/** /proc/stat and /proc/<pid>/stat count in USER_HZ ticks, 100 a second on Linux. */
export const CLOCK_TICKS = 100

/**
 * Busy CPU time of the whole machine so far (all cores, every process), in microseconds. From
 * /proc/stat where there is one: os.cpus() leaves out softirq time, where Linux books much of the
 * loopback network work that the processes' own counters see as system time.
 */
export function machineBusyUs(): number {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!.trim().split(/\s+/).map(Number)
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks
    return ((user + nice + system + irq + softirq + steal) * 1e6) / CLOCK_TICKS
  } catch {
    let busy = 0
    for (const { times } of cpus()) busy += times.user + times.nice + times.sys + times.irq
    return busy * 1000
  }
}

/** Busy CPU time of one core so far (the `cpuN` line of /proc/stat), in microseconds; NaN without /proc. */
export function coreBusyUs(core: number): number {
  try {
    const line = readFileSync('/proc/stat', 'latin1')
      .split('\n')
      .find((l) => l.startsWith(`cpu${core} `))
    if (!line) return Number.NaN
    const [, ...ticks] = line.trim().split(/\s+/).map(Number)
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks
    return ((user + nice + system + irq + softirq + steal) * 1e6) / CLOCK_TICKS
  } catch {
    return Number.NaN
  }
}

/** The cores that other processes keep busy over the next `ms`: anything else running skews the figures. */
export async function otherCoresOver(ms: number): Promise<number> {
  const machineBefore = machineBusyUs()
  const selfBefore = process.cpuUsage()
  await new Promise((resolve) => setTimeout(resolve, ms))
  const self = process.cpuUsage(selfBefore)
  return Math.max(0, (machineBusyUs() - machineBefore - self.user - self.system) / 1000 / ms)
}

/**
 * A process's CPU time so far (user + system, all its threads), in microseconds, from /proc/<pid>/stat;
 * for processes that can't report it themselves (a server under test run from its own CLI). NaN when
 * there is no /proc. With `tid`, one thread's: the main thread's (`tid` = `pid`) is the event loop's.
 */
export function processCpuUs(pid: number, tid?: number): number {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'latin1')
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const utime = Number(fields[11])
    const stime = Number(fields[12])
    return ((utime + stime) * 1e6) / CLOCK_TICKS
  } catch {
    return Number.NaN
  }
}

/** A process's resident set (VmRSS) and its peak (VmHWM), in bytes, from /proc/<pid>/status; NaN without /proc. */
export function processMemory(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1')
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024
    return { rss: kb('VmRSS'), peak: kb('VmHWM') }
  } catch {
    return { rss: Number.NaN, peak: Number.NaN }
  }
}
