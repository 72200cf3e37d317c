// Which program a running process tree runs: how the test tells the installed server from the workspace's.
import { readdirSync, readFileSync, realpathSync } from 'node:fs'

/** The ids of `pid`'s children, grandchildren and so on. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after its closing paren.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)])
    } catch {
      // The process ended while the list was read.
    }
  }
  const found: number[] = []
  for (let queue = [pid]; queue.length > 0; ) {
    const children = parents.get(queue.shift()!) ?? []
    found.push(...children)
    queue.push(...children)
  }
  return found
}

/** The scripts that node processes under `pid` run, symlinks resolved. */
export function nodeScripts(pid: number): string[] {
  const scripts: string[] = []
  for (const child of descendants(pid)) {
    try {
      const [program, script] = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0')
      if (program !== undefined && script !== undefined && /(^|\/)node$/.test(program)) scripts.push(realpathSync(script))
    } catch {
      // The process ended while the list was read.
    }
  }
  return scripts
}
