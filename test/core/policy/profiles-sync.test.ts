import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import type {CompiledPolicy} from '../../../src/core/policy/compile.js'
import {loadPolicy} from '../../../src/core/policy/load.js'
import {sandbox} from '../../helpers.js'

const load = (name: string) => {
  const s = sandbox()
  return loadPolicy({cwd: s.cwd, env: s.env, config: fileURLToPath(new URL(`../../../policies/${name}.yaml`, import.meta.url)), noGlobal: true})
}

const patterns = (p: CompiledPolicy) => p.rules.flatMap((r) => [
  ...(r.when.command?.sources ?? []), ...(r.when.path?.sources ?? []), ...(r.when.domain?.sources ?? []), ...(r.when.contains ?? []),
])

describe('the ci profile follows the standard profile', () => {
  it('has no ask left (nobody can approve in CI) and keeps every standard protection as a deny', () => {
    const standard = load('standard')
    const ci = load('ci')
    expect(ci.policies.flatMap((p) => p.rules).filter((r) => r.action === 'ask')).toEqual([])
    const byName = new Map(ci.policies.map((p) => [p.name, p]))
    for (const p of standard.policies) {
      const restrictive = p.rules.filter((r) => r.action === 'deny' || r.action === 'ask')
      if (restrictive.length === 0) continue
      const twin = byName.get(p.name) ?? byName.get(p.name.replace(/^ask-/, 'block-'))
      expect(twin, `ci has no counterpart of '${p.name}'`).toBeDefined()
      const ciDenied = new Set(twin?.rules.filter((r) => r.action === 'deny').flatMap((r) => patterns({...twin, rules: [r]})))
      for (const r of restrictive) {
        for (const pattern of patterns({...p, rules: [r]})) expect(ciDenied.has(pattern), `'${p.name}': ${pattern} is not denied in ci`).toBe(true)
      }
    }
  })
})
