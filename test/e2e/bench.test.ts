import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {sandbox, write} from '../helpers.js'
import {rampart} from './run.js'

describe('rampart bench', () => {
  it('--json has total, coverage, weighted_coverage and false_positive_rate as percentages', () => {
    const s = sandbox()
    const r = rampart(['bench', '--json'], s)
    const j = JSON.parse(r.stdout)
    expect(j.total).toBeGreaterThanOrEqual(250)
    expect(j.attack_cases).toBeGreaterThanOrEqual(150)
    expect(j.benign_cases).toBeGreaterThanOrEqual(100)
    for (const k of ['coverage', 'weighted_coverage', 'false_positive_rate']) {
      expect(j[k]).toBeGreaterThanOrEqual(0)
      expect(j[k]).toBeLessThanOrEqual(100)
    }
    expect(Object.keys(j.categories)).toEqual(expect.arrayContaining(['exfiltration', 'credential-theft', 'destructive', 'privilege-escalation', 'persistence', 'supply-chain', 'prompt-injection', 'obfuscation', 'benign']))
  })

  it('usage errors list the valid values', () => {
    const s = sandbox()
    const over = rampart(['bench', '--min-coverage', '101'], s)
    expect(over.code).toBe(2)
    expect(over.stderr).toMatch(/100/)
    const cat = rampart(['bench', '--category', 'nope'], s)
    expect(cat.code).toBe(2)
    expect(cat.stderr).toMatch(/unknown category 'nope' — use one of: .*exfiltration/)
    const prof = rampart(['bench', '--profile', 'nope'], s)
    expect(prof.code).toBe(2)
    expect(prof.stderr).toMatch(/unknown profile 'nope' — use one of: .*standard/)
  })

  it('scores a user policy on a Go-format corpus; --min-coverage fails below; a bad corpus is exit 5 with its position', () => {
    const s = sandbox()
    const policy = write(join(s.root, 'p.yaml'), 'default_action: allow\npolicies:\n  - name: p\n    rules:\n      - action: deny\n        when: {command_matches: ["rm -rf /"]}\n')
    const corpus = write(join(s.root, 'go.yaml'), 'entries:\n  - command: "rm -rf /"\n    expected_action: deny\n    category: destructive\n  - command: "cat ~/.ssh/id_rsa"\n    expected_action: deny\n    category: credential-theft\n  - command: "git status"\n    expected_action: allow\n    category: benign\n')
    const r = rampart(['bench', '--policy', policy, '--corpus', corpus], s)
    expect(r.stdout).toMatch(/Coverage +50%/)
    expect(r.stdout).toMatch(/False positives +0%/)
    expect(r.stdout).toContain('case-2')
    expect(r.code).toBe(0)
    expect(rampart(['bench', '--policy', policy, '--corpus', corpus, '--min-coverage', '60'], s).code).toBe(1)
    const bad = write(join(s.root, 'bad.yaml'), 'cases:\n  - id: a\n    category: destructive\n    tool: exec\n    input: {command: ls}\n    expected: maybe\n')
    const b = rampart(['bench', '--corpus', bad], s)
    expect(b.code).toBe(5)
    expect(b.stderr).toContain(`${bad}:6:15: unknown expected decision 'maybe'`)
  })
})
