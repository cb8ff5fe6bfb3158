import {chmodSync, mkdirSync, symlinkSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'

import {resolveSymlinks, useNativePaths} from '../../../src/core/engine/paths.js'
import {sandbox, write} from '../../helpers.js'

// The native path check (native/paths.c) only says "no symlink on the way"; everything else is resolved as before.
// These tests hold it to giving exactly the answers of the realpath-only resolution, errors included.

const linux = process.platform === 'linux' && !process.env.RAMPART_NO_NATIVE
const available = useNativePaths(true)
afterAll(() => useNativePaths(false))

/** What resolveSymlinks gives, or the error code it throws, with the native check on or off. */
function outcome(path: string, native: boolean): string | undefined {
  useNativePaths(native)
  try {
    return resolveSymlinks(path)
  } catch (error) {
    return `error ${(error as NodeJS.ErrnoException).code}`
  }
}

/** A folder with every shape a path can take on the way: folders, files, links to each, dangling and looping links. */
function tree(): string {
  const s = sandbox()
  const root = join(s.root, 'tree')
  mkdirSync(join(root, 'dir', 'sub'), {recursive: true})
  write(join(root, 'dir', 'file'), 'x')
  write(join(root, 'dir', 'sub', 'deep'), 'x')
  mkdirSync(join(s.home, '.ssh'), {recursive: true})
  write(join(s.home, '.ssh', 'id_rsa'), 'key')
  symlinkSync(join(root, 'dir'), join(root, 'link-dir'))
  symlinkSync('dir/file', join(root, 'rel-link'))
  symlinkSync(join(s.home, '.ssh', 'id_rsa'), join(root, 'key-link'))
  symlinkSync(join(s.home, '.ssh', 'authorized_keys'), join(root, 'dangling'))
  symlinkSync(join(root, 'link-dir'), join(root, 'link-to-link'))
  symlinkSync(join(root, 'loop-b'), join(root, 'loop-a'))
  symlinkSync(join(root, 'loop-a'), join(root, 'loop-b'))
  symlinkSync(join(s.home, '.ssh'), join(root, 'dir', 'sub', 'keys'))
  mkdirSync(join(root, 'locked', 'inside'), {recursive: true})
  chmodSync(join(root, 'locked'), 0o000)
  return root
}

describe('the native path check', () => {
  it.runIf(linux)('is built and loads on Linux (npm install builds native/paths.c; RAMPART_NO_NATIVE=1 turns it off)', () => {
    expect(available).toBe(true)
  })

  it.runIf(available)('gives the answers of the realpath resolution for every shape of path', () => {
    const root = tree()
    const names = ['dir', 'sub', 'file', 'deep', 'link-dir', 'rel-link', 'key-link', 'dangling', 'link-to-link', 'loop-a', 'missing', 'keys', 'id_rsa', 'locked', 'inside']
    let links = 0
    fc.assert(fc.property(fc.array(fc.constantFrom(...names), {minLength: 1, maxLength: 5}), (segments) => {
      const path = [root, ...segments].join('/')
      const withNative = outcome(path, true)
      if (withNative !== undefined && !withNative.startsWith('error')) links++
      expect(withNative).toBe(outcome(path, false))
    }), {numRuns: 3000})
    // the run went through links, not only plain folders
    expect(links).toBeGreaterThan(100)
  })

  it.runIf(available)('leaves a path with a link on the way to the full resolution', () => {
    const root = tree()
    useNativePaths(true)
    expect(resolveSymlinks(join(root, 'dir', 'file'))).toBeUndefined()
    expect(resolveSymlinks(join(root, 'dir', 'new', 'file'))).toBeUndefined()
    expect(resolveSymlinks(join(root, 'link-dir', 'file'))).toBe(join(root, 'dir', 'file'))
    expect(resolveSymlinks(join(root, 'dir', 'sub', 'keys', 'id_rsa'))).toMatch(/\/home\/\.ssh\/id_rsa$/)
    expect(resolveSymlinks(join(root, 'dangling'))).toMatch(/\/home\/\.ssh\/authorized_keys$/)
    // not for the native check to answer: relative, an embedded NUL, longer than a path can be
    expect(() => resolveSymlinks('dir/\0/file')).toThrow()
    const long = `${root}/${'x'.repeat(5000)}`
    expect(outcome(long, true)).toBe(outcome(long, false))
  })

  it.runIf(available)('answers nothing for a path whose UTF-8 form crosses the 4 KB limit inside a character', () => {
    // a copy into the helper's buffer stops before a character that does not fit whole: the clipped path (missing
    // here) must not be taken for the whole one, which is too long for the system and fails closed
    const root = tree()
    let dir = join(root, 'missing')
    while (Buffer.byteLength(dir) < 3990) dir += `/${'d'.repeat(Math.min(200, 3990 - Buffer.byteLength(dir)))}`
    for (const pad of [0, 1, 2, 3]) {
      const path = `${dir}/${'c'.repeat(4095 - Buffer.byteLength(dir) - 1 - pad)}\u20ac/${'x'.repeat(pad)}id_rsa`
      expect(outcome(path, true)).toBe(outcome(path, false))
      expect(outcome(path, false)).toBe('error ENAMETOOLONG')
    }
  })

  it.runIf(available)('leaves a path with a lone surrogate to the full resolution, which sees what the system sees', () => {
    const root = tree()
    // the system stores a lone surrogate as U+FFFD: the file the call names is this one
    write(join(root, 'dir', 's\ufffd'), 'x')
    for (const name of ['s\ud800', 's\udc00x', 's\ud800/under']) {
      const path = join(root, 'dir', name)
      expect(outcome(path, true)).toBe(outcome(path, false))
    }
    expect(outcome(join(root, 'dir', 's\ud800'), true)).toBe(join(root, 'dir', 's\ufffd'))
  })
})
