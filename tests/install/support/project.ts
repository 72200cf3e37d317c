// A user's project outside the workspace: the guide's app, with both release tarballs installed by npm.
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import { exampleDir, tempDir } from '../../../examples/express-guide/test/support/processes.js'
import { exec, userEnv } from './npx.js'

/** What of the example is the app (not its tests, type-checking or test configuration). */
function isAppFile(path: string): boolean {
  const name = relative(exampleDir, path)
  return name === '' || !/^(node_modules|test)(\/|$)|^tsconfig.*\.json$|^vitest\.config\./.test(name)
}

/**
 * Copies the guide's app into a new folder under the OS's temp dir, with a package.json whose @airlock/*
 * dependencies are the tarballs and the rest the example's own, then runs `npm install` there.
 */
export async function installedProject(tarballs: { express: string; server: string }): Promise<string> {
  const dir = tempDir('airlock-install-')
  cpSync(exampleDir, dir, { recursive: true, filter: isAppFile })
  const example = JSON.parse(readFileSync(join(exampleDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  const manifest = {
    name: basename(dir).toLowerCase(),
    private: true,
    type: 'commonjs',
    dependencies: {
      ...example.dependencies,
      '@airlock/express': `file:${tarballs.express}`,
      '@airlock/server': `file:${tarballs.server}`,
    },
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  await exec('npm', ['install', '--no-audit', '--no-fund'], dir, userEnv())
  return dir
}
