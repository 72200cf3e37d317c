import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { nginxTemplate } from '../support/nginx.js'

const deployDoc = join(import.meta.dirname, '..', '..', '..', 'docs', 'deploy.md')

describe('docs/deploy.md', () => {
  it('shows the nginx configuration the deployment tests run, unchanged', () => {
    const blocks = [...readFileSync(deployDoc, 'utf8').matchAll(/```nginx\n([\s\S]*?)```/g)].map((match) => match[1])
    expect(blocks).toEqual([readFileSync(nginxTemplate, 'utf8')])
  })
})
