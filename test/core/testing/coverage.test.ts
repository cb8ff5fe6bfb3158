import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {compileCommandGlob} from '../../../src/core/engine/glob.js'
import {globCovers, shadowedRules} from '../../../src/core/testing/coverage.js'
import {policyFrom} from '../../helpers.js'

describe('shadowed rules', () => {
  it('globCovers is sound: when it says yes, every input of the inner glob matches the outer one', () => {
    const glob = fc.stringMatching(/^[ab* ]{0,6}$/)
    fc.assert(fc.property(glob, glob, fc.stringMatching(/^[ab ]{0,8}$/), (outer, inner, input) => {
      if (globCovers(outer, inner) && compileCommandGlob(inner).test(input)) expect(compileCommandGlob(outer).test(input)).toBe(true)
    }), {numRuns: 20000})
  })

  it('finds rules after a catch-all, rules covered by an earlier rule, and policies behind a catch-all deny', () => {
    const set = policyFrom(`default_action: allow
policies:
  - name: p
    rules:
      - action: deny
        when: {command_matches: ["git *"]}
      - action: ask
        when: {command_matches: ["git push *", "git pull"]}
      - action: allow
        when: {command_matches: ["ls"]}
      - action: watch
      - action: deny
        when: {command_matches: ["never"]}
  - name: allow-first
    rules:
      - action: allow
        when: {command_matches: ["npm *"]}
      - action: deny
        when: {command_matches: ["npm publish"]}
  - name: wall
    priority: 500
    match: {tool: [fetch]}
    rules: [{action: deny}]
  - name: behind
    priority: 600
    match: {tool: [fetch]}
    rules: [{action: allow, when: {domain_matches: ["x.com"]}}]
`)
    const shadowed = shadowedRules(set)
    const reasons = [...shadowed.entries()].map(([k, v]) => `${k.split('#').slice(1).join('#')}: ${v}`)
    expect(reasons).toEqual([
      'p#2: rule 1 of the same policy matches all of its patterns first',
      'p#5: rule 4 of the same policy matches every call first',
      "behind#1: policy 'wall' (priority 500) denies every fetch call first",
    ])
  })
})
