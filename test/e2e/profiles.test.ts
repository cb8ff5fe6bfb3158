import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import {sandbox} from '../helpers.js'
import {rampart} from './run.js'

const dir = fileURLToPath(new URL('../../policies/', import.meta.url))
const profiles = readdirSync(dir).filter((f) => f.endsWith('.yaml') && !f.includes('.test.')).map((f) => f.slice(0, -5)).sort()

describe('shipped profiles', () => {
  it('are standard, ci, paranoid and yolo, each with its own suite', () => {
    expect(profiles).toEqual(['ci', 'paranoid', 'standard', 'yolo'])
    for (const p of profiles) expect(readdirSync(dir)).toContain(`${p}.test.yaml`)
  })

  it.each(profiles)('%s: its suite passes through the CLI with coverage of at least 90 percent and zero bypasses, and it lints clean', (name) => {
    const s = sandbox()
    const suite = join(dir, `${name}.test.yaml`)
    const r = rampart(['test', suite, '--coverage', '--min-coverage', '90', '--mutate', '--json'], s)
    const j = JSON.parse(r.stdout)
    expect(j.failed, JSON.stringify(j.tests.filter((t: {passed: boolean}) => !t.passed).slice(0, 3))).toBe(0)
    expect(j.coverage.percent).toBeGreaterThanOrEqual(90)
    expect(j.mutations.bypasses).toEqual([])
    expect(r.code).toBe(0)
    const lint = rampart(['policy', 'lint', '--strict', join(dir, `${name}.yaml`), suite], s)
    expect(lint.stdout.trim()).toBe('0 errors, 0 warnings in 2 files')
  })

  it.each(profiles)('%s: an agent cannot loosen its own policy (policy.md §6)', (name) => {
    const s = sandbox()
    for (const command of ['rampart allow "rm -rf *"', "bash -c 'rampart block x'", 'npx rampart rules reset --force', 'rampart init --force']) {
      expect(rampart(['test', command, '--profile', name, '--json'], s).code, `${name}: ${command}`).toBe(3)
    }
    expect(rampart(['test', 'rampart --help', '--profile', name], s).code).not.toBe(3)
  })
})
