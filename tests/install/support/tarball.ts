// What a release tarball holds, as tar lists it.
import { exec } from './npx.js'

export interface Entry {
  /** e.g. `package/dist/cli/main.js` */
  path: string
  /** as `ls -l` shows it, e.g. `-rwxr-xr-x` */
  mode: string
}

export async function entries(tarball: string): Promise<Entry[]> {
  const listing = await exec('tar', ['-tvzf', tarball], process.cwd())
  return listing
    .trim()
    .split('\n')
    .map((line) => {
      const fields = line.trim().split(/\s+/)
      return { mode: fields[0]!, path: fields.at(-1)! }
    })
}
