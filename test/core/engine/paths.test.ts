import {posix, win32} from 'node:path'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {normalisePath} from '../../../src/core/engine/paths.js'

/** policy.md §3.2 spelled out with node:path alone: what the quick path for clean paths must agree with. */
function reference(input: string, cwd: string, home: string): string {
  let p = input.replace(/\\/g, '/')
  if (p === '~' || p.startsWith('~/')) p = home + p.slice(1)
  else if (p === '$HOME' || p.startsWith('$HOME/')) p = home + p.slice(5)
  else if (p.startsWith('${HOME}')) p = home + p.slice(7)
  if (/^[a-zA-Z]:\//.test(p)) return win32.normalize(p).replace(/\\/g, '/')
  if (!p.startsWith('/')) p = posix.join(cwd.replace(/\\/g, '/'), p)
  const cleaned = posix.normalize(p)
  return cleaned.length > 1 && cleaned.endsWith('/') ? cleaned.slice(0, -1) : cleaned
}

describe('normalisePath', () => {
  it('agrees with node:path on any mix of segments, homes, drives and separators', () => {
    const piece = fc.constantFrom('a', 'b.c', '.', '..', '...', '/', '//', '\\', '~', '~/', '$HOME', '${HOME}', 'C:', 'C:/', ' ', '.x')
    const cwd = fc.constantFrom('/w/p', '/w/p/', '/', 'rel/dir', '', 'C:\\w', '/w/./p', '/w/../p')
    fc.assert(fc.property(fc.array(piece, {maxLength: 8}).map((p) => p.join('')), cwd, (input, dir) => {
      expect(normalisePath(input, dir, '/home/u')).toBe(reference(input, dir, '/home/u'))
    }), {numRuns: 20000})
  })

  it.each([
    ['src/app.ts', '/w/p', '/w/p/src/app.ts'],
    ['/etc/./shadow', '/w', '/etc/shadow'],
    ['src/', '/w/p', '/w/p/src'],
    ['~/.ssh/id_rsa', '/w', '/home/u/.ssh/id_rsa'],
    ['..', '/w/p', '/w'],
  ])('%s in %s is %s', (input, cwd, want) => {
    expect(normalisePath(input, cwd, '/home/u')).toBe(want)
  })
})
