import {describe, expect, it} from 'vitest'

import {classify, orderChanges, RANK, sameRule} from '../../../src/core/diff/classify.js'
import type {DecisionChange, Outcome} from '../../../src/core/diff/types.js'
import type {Action} from '../../../src/core/policy/types.js'

const ACTIONS: Action[] = ['allow', 'watch', 'ask', 'deny']
const rule = (policy: string, n = 1, line = 3) => ({policy, rule: n, file: '.rampart/policy.yaml', line})
const out = (action: Action, r: Outcome['rule'] = null): Outcome => ({action, rule: r})

function change(before: Action, after: Action, extra: Partial<DecisionChange> = {}): DecisionChange {
  const kind = classify(out(before), out(after), false) ?? 'rule'
  return {source: 'corpus', name: `${before}->${after}`, where: 'c.yaml:1', occurrences: 1, call: {tool: 'exec', command: 'x'},
    before: out(before), after: out(after), loosening: kind === 'loosening', kind, ...extra}
}

describe('classify', () => {
  it('ranks deny 3 > ask 2 > watch 1 > allow 0', () => {
    expect(RANK).toEqual({deny: 3, ask: 2, watch: 1, allow: 0})
  })

  it('calls every move toward allow a loosening and every move away a tightening', () => {
    for (const a of ACTIONS) {
      for (const b of ACTIONS) {
        const kind = classify(out(a), out(b), true)
        if (RANK[b] < RANK[a]) expect(kind, `${a} → ${b}`).toBe('loosening')
        else if (RANK[b] > RANK[a]) expect(kind, `${a} → ${b}`).toBe('tightening')
        else expect(kind, `${a} → ${b}`).toBeUndefined()
      }
    }
  })

  it('reports the same action from another rule only when the deciding rule differs', () => {
    expect(classify(out('deny', rule('a')), out('deny', rule('b')), false)).toBe('rule')
    expect(classify(out('deny', rule('a')), out('deny', rule('a')), true)).toBeUndefined()
  })

  it('compares rules by policy, index and file, not by line', () => {
    expect(sameRule(rule('a', 1, 3), rule('a', 1, 9))).toBe(true)
    expect(sameRule(rule('a', 1), rule('a', 2))).toBe(false)
    expect(sameRule(null, null)).toBe(true)
    expect(sameRule(rule('a'), null)).toBe(false)
  })
})

describe('orderChanges', () => {
  it('puts loosenings first (widest first), then tightenings, then rule swaps', () => {
    const list = [
      change('allow', 'deny'),
      change('ask', 'watch'),
      {...change('deny', 'deny'), kind: 'rule' as const},
      change('deny', 'allow'),
      change('watch', 'ask'),
      change('deny', 'ask'),
    ]
    const names = orderChanges(list).map((c) => `${c.kind}:${c.name}`)
    expect(names).toEqual([
      'loosening:deny->allow',
      'loosening:ask->watch',
      'loosening:deny->ask',
      'tightening:allow->deny',
      'tightening:watch->ask',
      'rule:deny->deny',
    ])
  })

  it('lists test cases before corpus cases before recorded calls within a group, otherwise keeping order', () => {
    const list = [
      change('deny', 'allow', {source: 'recorded', name: 'r'}),
      change('deny', 'allow', {source: 'corpus', name: 'c1'}),
      change('deny', 'allow', {source: 'test', name: 't'}),
      change('deny', 'allow', {source: 'corpus', name: 'c2'}),
    ]
    expect(orderChanges(list).map((c) => c.name)).toEqual(['t', 'c1', 'c2', 'r'])
  })

  it('flags loosenings in the loosening field', () => {
    expect(change('ask', 'allow').loosening).toBe(true)
    expect(change('allow', 'ask').loosening).toBe(false)
  })
})
