import {describe, expect, it} from 'vitest'

import {CallSet} from '../../../src/core/diff/calls.js'

const line = (command: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({at: '2026-01-01T00:00:00Z', tool: 'exec', params: {command}, agent: 'claude-code', session: 's/main', cwd: '/w', decision: 'allow', policy: null, ...extra})

describe('CallSet', () => {
  it('keeps one entry per distinct call and counts where it occurs', () => {
    const set = new CallSet()
    const bad = set.addRecorded('.rampart/recorded/a.jsonl', [line('git status'), line('git status'), line('git status', {session: 's/dev'}), '{"broken', ''].join('\n'), '/repo')
    expect(bad).toBe(1)
    expect(set.counts.recorded).toBe(3)
    expect(set.distinct.map((c) => [c.call.command, c.call.session, c.occurrences, c.where])).toEqual([
      ['git status', 's/main', 2, '.rampart/recorded/a.jsonl:1'],
      ['git status', 's/dev', 1, '.rampart/recorded/a.jsonl:3'],
    ])
  })

  it('names a call by its best source whatever order the sources arrive in', () => {
    const set = new CallSet()
    set.addRecorded('r.jsonl', line('npm test', {session: '', cwd: '/repo'}), '/repo')
    set.addCorpus([{id: 'b-1', name: 'run the tests', category: 'benign', severity: 'medium', tool: 'exec', input: {command: 'npm test'}, expected: 'allow', file: '/c.yaml', line: 4}], () => 'c.yaml', '/repo')
    const [only] = set.distinct
    expect(set.distinct).toHaveLength(1)
    expect(only).toMatchObject({source: 'corpus', name: 'b-1 run the tests', where: 'c.yaml:4', occurrences: 2})
  })

  it('counts a test case found in both revisions once', () => {
    const set = new CallSet()
    const tc = {name: 'rm is denied', where: '.rampart/tests/a.yaml:2', call: {tool: 'exec', command: 'rm -rf x', params: {command: 'rm -rf x'}, cwd: '/repo'}, headless: false}
    set.addSuite([tc])
    set.addSuite([{...tc, where: '.rampart/tests/a.yaml:5'}])
    expect(set.counts.test).toBe(1)
    expect(set.distinct[0]?.occurrences).toBe(1)
  })
})
