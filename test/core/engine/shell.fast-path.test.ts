import {readFileSync} from 'node:fs'
import fc from 'fast-check'
import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'

import {analyzeCommand, analyzeFull, analyzeSimple} from '../../../src/core/engine/shell.js'

describe('the plain-words fast path', () => {
  it('gives exactly the full analysis on random plain commands', () => {
    const word = fc.stringMatching(/^[A-Za-z0-9_./:,@%+-]{1,8}$/)
    const firstWord = fc.oneof(word, fc.constantFrom('git', 'npm', 'make', 'rm', 'sudo', 'env', 'find', 'bash', 'time', 'if', 'xargs', 'nice', 'su', '-x', '/bin/ls', 'ls'))
    const sep = fc.constantFrom(' ', '  ', '\t', ' \t ')
    const command = fc.tuple(fc.constantFrom('', ' ', '\t'), firstWord, fc.array(fc.tuple(sep, word), {maxLength: 6}), fc.constantFrom('', ' '))
      .map(([lead, first, rest, trail]) => lead + first + rest.map(([s, w]) => s + w).join('') + trail)
    fc.assert(fc.property(command, (c) => {
      expect(analyzeCommand(c)).toEqual(analyzeFull(c))
    }), {numRuns: 5000})
  })

  it('gives exactly the full analysis on every command of the standard suite', () => {
    const suite = parse(readFileSync(new URL('../../../policies/standard.test.yaml', import.meta.url), 'utf8')) as {tests: Array<{params: {command?: string}}>}
    let fast = 0
    for (const t of suite.tests) {
      const c = t.params.command
      if (c === undefined) continue
      if (analyzeSimple(c)) fast++
      expect(analyzeCommand(c)).toEqual(analyzeFull(c))
    }
    expect(fast).toBeGreaterThan(20)
  })

  it('leaves anything special to the full analysis', () => {
    for (const c of ['rm -rf /', 'sudo ls', '/bin/rm x', 'env X=1 ls', 'FOO=1 make', 'echo $HOME', "echo 'a'", 'ls; rm x', 'ls *', 'time ls', 'find . -delete', 'bash -c ls']) {
      expect(analyzeSimple(c), c).toBeUndefined()
    }
  })
})
