import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'

import {callFromParams} from '../../../src/core/engine/call.js'
import {evaluate} from '../../../src/core/engine/evaluate.js'
import {explain} from '../../../src/core/engine/explain.js'
import {loadPolicy} from '../../../src/core/policy/load.js'
import {policyFrom, sandbox} from '../../helpers.js'

describe('rampart policy explain', () => {
  it('decides exactly as evaluate() on every case of the shipped standard suite (and routing never hides a match)', () => {
    const s = sandbox()
    const policy = loadPolicy({cwd: s.cwd, env: s.env, config: fileURLToPath(new URL('../../../policies/standard.yaml', import.meta.url)), noGlobal: true})
    const suite = parse(readFileSync(new URL('../../../policies/standard.test.yaml', import.meta.url), 'utf8')) as {tests: Array<{tool?: string; params: Record<string, string>}>}
    for (const t of suite.tests) {
      const call = callFromParams(t.tool ?? 'exec', t.params, {cwd: s.cwd, session: 'app/main', agent: 'claude-code'})
      const plain = evaluate(policy, call)
      const x = explain(policy, call)
      const strip = (d: typeof plain) => ({...d, eval_us: 0})
      expect(strip(x.decision), JSON.stringify(t.params)).toEqual(strip(plain))
    }
  })

  it('names the component and the pattern that matched', () => {
    const set = policyFrom(`default_action: allow
policies:
  - name: no-rm-root
    rules:
      - action: deny
        when: {command_matches: ["rm -rf /"]}
`)
    const x = explain(set, {tool: 'exec', command: "true && bash -c 'rm -rf /'"})
    expect(x.decision.action).toBe('deny')
    expect(x.analysis?.components.map((c) => c.text)).toEqual(['true', 'rm -rf /'])
    const rule = x.policies[0]?.rules[0]
    expect(rule?.outcome).toBe('matched')
    expect(rule?.conditions[0]).toMatchObject({field: 'command_matches', ok: true, detail: '"rm -rf /" matches "rm -rf /"'})
    expect(x.resolution[0]).toContain('a deny wins')
  })

  it('says why a policy is out of scope, and which policies a deny kept from running', () => {
    const set = policyFrom(`default_action: allow
policies:
  - name: reads-only
    match: {tool: [read]}
    rules: [{action: deny}]
  - name: first
    priority: 1
    rules: [{action: deny, when: {command_matches: ["x"]}}]
  - name: later
    rules: [{action: ask, when: {command_matches: ["x"]}}]
`)
    const x = explain(set, {tool: 'exec', command: 'x'})
    const byName = Object.fromEntries(x.policies.map((p) => [p.name, p]))
    expect(byName['reads-only']).toMatchObject({state: 'out-of-scope'})
    expect(byName['reads-only']?.why).toContain('match.tool')
    expect(byName.first).toMatchObject({state: 'evaluated', result: 'deny'})
    expect(byName.later).toMatchObject({state: 'not-reached'})
  })

  it('explains an allow that does not cover every component', () => {
    const set = policyFrom(`default_action: deny
policies:
  - name: git
    rules: [{action: allow, when: {command_matches: ["git *"]}}]
`)
    const x = explain(set, {tool: 'exec', command: 'git status && rm -rf x'})
    expect(x.decision.action).toBe('deny')
    expect(x.policies[0]?.rules[0]?.conditions[0]?.detail).toContain('"rm -rf x" is not covered')
    expect(x.resolution[0]).toContain('default action applies: deny')
  })
})
