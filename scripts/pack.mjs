#!/usr/bin/env node
// `npm run pack`: release tarballs of @airlock/express and @airlock/server in dist-packages/, from a fresh
// build, each checked with publint and @arethetypeswrong/cli. Prints the tarballs' paths, one a line.
//
//   AIRLOCK_PACK_DIR  where the tarballs go (dist-packages/ at the repository's root)
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const outDir = resolve(process.env.AIRLOCK_PACK_DIR || join(root, 'dist-packages'))
const packages = [
  { name: '@airlock/express', dir: 'packages/express' },
  { name: '@airlock/server', dir: 'packages/server' },
]
const bin = (name) => join(root, 'node_modules/.bin', name)

/** Runs a command in the repository; its output goes to stderr, so that stdout holds only the tarballs' paths. */
function step(command, args, { capture = false } = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', capture ? 'pipe' : process.stderr, process.stderr], encoding: 'utf8' })
  if (result.status !== 0) {
    process.stderr.write(`npm run pack: ${command} ${args.join(' ')} failed${result.error ? `: ${result.error.message}` : ''}\n`)
    process.exit(1)
  }
  return result.stdout
}

// tsc never deletes outputs whose source is gone: a fresh dist/ is what keeps them out of a release.
for (const { dir } of packages) rmSync(join(root, dir, 'dist'), { recursive: true, force: true })
step('npm', ['run', 'build', ...packages.flatMap(({ name }) => ['--workspace', name])])

rmSync(outDir, { recursive: true, force: true })
mkdirSync(outDir, { recursive: true })
const packed = JSON.parse(step('npm', ['pack', '--json', '--pack-destination', outDir, ...packages.flatMap(({ name }) => ['--workspace', name])], { capture: true }))
const tarballs = packed.map((entry) => join(outDir, entry.filename))

for (const tarball of tarballs) {
  step(bin('publint'), ['--strict', tarball])
  // cjs-resolves-to-esm: the middleware is ESM only, like jose 6 under it. `require('@airlock/express')` works
  // on every Node that `engines` allows (require(esm), 20.19+), and TypeScript types it under module nodenext
  // (5.8+) or node20 (5.9); the TypeScript inside attw (5.6) predates both.
  step(bin('attw'), [tarball, '--format', 'ascii', '--ignore-rules', 'cjs-resolves-to-esm'])
}

process.stdout.write(tarballs.map((tarball) => `${tarball}\n`).join(''))
