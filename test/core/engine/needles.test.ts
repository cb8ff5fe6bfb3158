import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {isNeedle, NeedleIndex} from '../../../src/core/engine/needles.js'

/** The needles an index reports for a text, as a sorted list. */
function found(needles: string[], text: string): string[] {
  const index = new NeedleIndex<string>()
  for (const n of needles) index.add(n, n)
  const out = new Set<string>()
  index.forEachIn(text, (items) => {
    for (const i of items) out.add(i)
  })
  return [...out].sort()
}

describe('needle index', () => {
  it('finds exactly the needles that occur, ignoring ASCII case', () => {
    // a small alphabet so that needles overlap, share their first characters and occur often
    const needle = fc.stringMatching(/^[ab -]{2,6}$/)
    fc.assert(fc.property(fc.uniqueArray(needle, {maxLength: 8}), fc.stringMatching(/^[abAB -]{0,16}$/), (needles, text) => {
      expect(found(needles, text)).toEqual(needles.filter((n) => text.toLowerCase().includes(n)).sort())
    }), {numRuns: 5000})
  })

  it('reports every item of a needle, at the end of the text too', () => {
    const index = new NeedleIndex<number>()
    index.add('curl ', 1)
    index.add('curl ', 2)
    index.add('| sh', 3)
    index.add('sh', 4)
    const seen: number[] = []
    index.forEachIn('CURL x | SH', (items) => {
      seen.push(...items)
    })
    expect(seen.sort()).toEqual([1, 2, 3, 4])
  })

  it('stops when a visit returns true', () => {
    const index = new NeedleIndex<string>()
    index.add('abc', 'x')
    index.add('xyz', 'y')
    let visits = 0
    expect(index.forEachIn('abc xyz', () => ++visits === 1)).toBe(true)
    expect(visits).toBe(1)
    expect(index.forEachIn('nothing here', () => true)).toBe(false)
  })

  it('ignores characters beyond ASCII and takes only lowercase ASCII needles', () => {
    const index = new NeedleIndex<string>()
    index.add('rm -rf', 'rm')
    let hit = false
    index.forEachIn('é rm -rf ü', () => {
      hit = true
    })
    expect(hit).toBe(true)
    expect(isNeedle('rm -rf')).toBe(true)
    expect(isNeedle('RM')).toBe(false)
    expect(isNeedle('é!')).toBe(false)
    expect(isNeedle('a')).toBe(false)
    expect(() => index.add('Curl', 'x')).toThrow()
  })
})
