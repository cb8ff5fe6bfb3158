import {describe, expect, it} from 'vitest'

import {compareRules, policiesOf, ruleKey} from '../../../src/core/diff/rules.js'
import {parsePolicyText} from '../../../src/core/policy/parse.js'

const FILE = '.rampart/policy.yaml'
const policies = (yaml: string) => policiesOf(parsePolicyText(yaml, '/tmp/x/.rampart/policy.yaml'), FILE)

const BASE = `version: "1"
policies:
  - name: guard
    rules:
      - action: deny
        when: {command_matches: ["rm -rf *"]}
      - action: ask
        when: {command_matches: ["git push *"]}
      - action: watch
        when: {command_matches: ["npm *"]}
`

describe('compareRules', () => {
  it('finds nothing when only formatting, key order and comments differ', () => {
    const head = `version: "1"
# reformatted
policies:
  - name: guard
    rules:
      - when: {command_matches: ["rm -rf *"]}
        action: deny

      - {action: ask, when: {command_matches: ["git push *"]}}
      - action: watch
        when:
          command_matches: ["npm *"]
`
    const {changes, map} = compareRules(policies(BASE), policies(head))
    expect(changes).toEqual({added: [], removed: [], changed: [], policies: []})
    expect(map.get(ruleKey(FILE, 'guard', 2))).toBe(ruleKey(FILE, 'guard', 2))
  })

  it('shows an inserted rule as added, and pairs the rules after it with their new index', () => {
    const head = BASE.replace('    rules:\n', '    rules:\n      - action: deny\n        when: {command_matches: ["curl * | sh"]}\n')
    const {changes, map} = compareRules(policies(BASE), policies(head))
    expect(changes.added.map((r) => [r.policy, r.rule, r.action, r.line])).toEqual([['guard', 1, 'deny', 5]])
    expect(changes.removed).toEqual([])
    expect(changes.changed).toEqual([])
    expect(map.get(ruleKey(FILE, 'guard', 1))).toBe(ruleKey(FILE, 'guard', 2))
    expect(map.get(ruleKey(FILE, 'guard', 3))).toBe(ruleKey(FILE, 'guard', 4))
  })

  it('reports an edited rule as changed, with both versions', () => {
    const head = BASE.replace('- action: ask', '- action: deny')
    const {changes, map} = compareRules(policies(BASE), policies(head))
    expect(changes.changed).toHaveLength(1)
    expect(changes.changed[0]?.before).toMatchObject({policy: 'guard', rule: 2, action: 'ask'})
    expect(changes.changed[0]?.after).toMatchObject({policy: 'guard', rule: 2, action: 'deny', summary: 'command_matches ["git push *"]'})
    expect(map.get(ruleKey(FILE, 'guard', 2))).toBe(ruleKey(FILE, 'guard', 2))
  })

  it('reports a deleted rule as removed and leaves it out of the pairing', () => {
    const head = BASE.replace('      - action: ask\n        when: {command_matches: ["git push *"]}\n', '')
    const {changes, map} = compareRules(policies(BASE), policies(head))
    expect(changes.removed.map((r) => r.rule)).toEqual([2])
    expect(map.has(ruleKey(FILE, 'guard', 2))).toBe(false)
    expect(map.get(ruleKey(FILE, 'guard', 3))).toBe(ruleKey(FILE, 'guard', 2))
  })

  it('pairs the edited rule, not its deleted neighbour, when one rule goes and the next one changes', () => {
    const head = BASE.replace('      - action: deny\n        when: {command_matches: ["rm -rf *"]}\n', '').replace('- action: ask', '- action: deny')
    const {changes, map} = compareRules(policies(BASE), policies(head))
    expect(changes.removed.map((r) => `${r.rule} ${r.summary}`)).toEqual(['1 command_matches ["rm -rf *"]'])
    expect(changes.changed.map((c) => `${c.before.rule} ${c.before.action} → ${c.after.rule} ${c.after.action}`)).toEqual(['2 ask → 1 deny'])
    expect(map.get(ruleKey(FILE, 'guard', 3))).toBe(ruleKey(FILE, 'guard', 2))
  })

  it('reports whole policies added and removed, and policy settings that changed', () => {
    const head = `version: "1"
policies:
  - name: guard
    priority: 5
    rules:
      - action: deny
        when: {command_matches: ["rm -rf *"]}
      - action: ask
        when: {command_matches: ["git push *"]}
      - action: watch
        when: {command_matches: ["npm *"]}
  - name: secrets
    rules:
      - action: deny
        when: {path_matches: ["**/.env"]}
`
    const {changes} = compareRules(policies(BASE), policies(head))
    expect(changes.policies).toEqual([
      {policy: 'guard', change: 'changed', fields: ['priority: 100 → 5']},
      {policy: 'secrets', change: 'added', fields: []},
    ])
    expect(changes.added.map((r) => `${r.policy}#${r.rule}`)).toEqual(['secrets#1'])
    const gone = compareRules(policies(head), policies(BASE)).changes
    expect(gone.policies).toContainEqual({policy: 'secrets', change: 'removed', fields: []})
    expect(gone.removed.map((r) => `${r.policy}#${r.rule}`)).toEqual(['secrets#1'])
  })

  it('treats everything as added when there was no policy before', () => {
    const {changes} = compareRules([], policies(BASE))
    expect(changes.added).toHaveLength(3)
  })

  it('ignores the added: bookkeeping field', () => {
    const head = BASE.replace('- action: watch', '- added: "2026-01-01T00:00:00Z"\n        action: watch')
    expect(compareRules(policies(BASE), policies(head)).changes.changed).toEqual([])
  })
})
