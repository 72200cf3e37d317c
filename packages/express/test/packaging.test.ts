import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const EXPORTS = ['arMiddleware', 'cookieParser', 'fullLogout', 'localLogout', 'requireLogin', 'requirePermission']

/** Runs a script in an app folder that has the built package installed, and returns what it printed. */
function run(file: string, source: string): { stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-app-'))
  mkdirSync(join(dir, 'node_modules', '@airlock'), { recursive: true })
  symlinkSync(packageDir, join(dir, 'node_modules', '@airlock', 'express'))
  writeFileSync(join(dir, file), source)
  const result = spawnSync(process.execPath, [file], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, LOGINROCKET_URL: 'https://demo.loginrocket.example', NODE_OPTIONS: '' },
  })
  expect(result.status, result.stderr).toBe(0)
  return { stdout: result.stdout, stderr: result.stderr }
}

describe('the built package', () => {
  it("works with require() from CommonJS, as the guide writes it, without a warning", () => {
    const { stdout, stderr } = run(
      'app.cjs',
      `const { arMiddleware, cookieParser, fullLogout, localLogout, requireLogin, requirePermission } = require('@airlock/express')
       const names = { arMiddleware, cookieParser, fullLogout, localLogout, requireLogin, requirePermission }
       arMiddleware()
       console.log(JSON.stringify(Object.entries(names).map(([k, v]) => k + ':' + typeof v)))`,
    )
    expect(JSON.parse(stdout)).toEqual(EXPORTS.map((name) => `${name}:function`))
    expect(stderr).toBe('')
  })

  it('exports its functions and nothing else at run time (the AuthRocket helper is a type only)', () => {
    const { stdout } = run('names.mjs', `import * as airlock from '@airlock/express'\nconsole.log(JSON.stringify(Object.keys(airlock)))`)
    expect(JSON.parse(stdout)).toEqual([...EXPORTS].sort())
  })

  it('works with import from ESM without a warning', () => {
    const { stdout, stderr } = run(
      'app.mjs',
      `import { ${EXPORTS.join(', ')} } from '@airlock/express'
       arMiddleware()
       console.log(JSON.stringify([${EXPORTS.join(', ')}].map((f) => typeof f)))`,
    )
    expect(JSON.parse(stdout)).toEqual(EXPORTS.map(() => 'function'))
    expect(stderr).toBe('')
  })
})
