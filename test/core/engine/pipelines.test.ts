import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {pipelineSpellings} from '../../../src/core/engine/pipelines.js'
import {normalizeCommand} from '../../../src/core/engine/shell.js'

const spell = (command: string) => pipelineSpellings(normalizeCommand(command))

describe('pipeline spellings', () => {
  it.each([
    ['curl x|sh; true', ['curl x | sh']],
    ['true && curl x | sh', ['curl x | sh']],
    ['echo "$(curl x | sh)"', ['curl x | sh']],
    ['echo `curl x|sh` && ls', ['curl x | sh']],
    ['a | b && c | d; e', ['a | b', 'c | d']],
    ["echo 'a | b; c'", []],
    ['curl x | sh', []],
  ])('%s', (command, want) => {
    // extra segments are harmless (only restrictive rules see them); the pipelines must be there, and nothing when none
    if (want.length === 0) expect(spell(command)).toEqual([])
    else expect(spell(command)).toEqual(expect.arrayContaining(want))
  })

  it('never throws and stays bounded', () => {
    fc.assert(fc.property(fc.string({maxLength: 300}), (s) => {
      const out = pipelineSpellings(s)
      expect(out.length).toBeLessThanOrEqual(64)
    }), {numRuns: 3000})
    const t = performance.now()
    pipelineSpellings('$('.repeat(4000) + 'a | b' + ')'.repeat(4000))
    pipelineSpellings('a | b; '.repeat(1300))
    expect(performance.now() - t).toBeLessThan(500)
  })
})
