import {existsSync, lstatSync, readlinkSync, realpathSync} from 'node:fs'
import {join, posix, win32} from 'node:path'

import {packageRoot} from '../package-root.js'

/** A `//`, `.` or `..` segment, or a trailing slash: what posix.normalize would change in an absolute path. */
const UNCLEAN = /\/\.{0,2}(?:\/|$)/

/**
 * A path as rules see it (policy.md §3.2): `~` and `$HOME` expanded, relative paths joined to the call's folder,
 * `.` / `..` / duplicate slashes cleaned, backslashes turned into `/`. Never touches the disk.
 */
export function normalisePath(input: string, cwd: string, home: string): string {
  let p = expandHome(input.includes('\\') ? input.replace(/\\/g, '/') : input, home)
  if (p.charCodeAt(1) === 58 && /^[a-zA-Z]:\//.test(p)) return win32.normalize(p).replace(/\\/g, '/')
  const base = cwd.includes('\\') ? cwd.replace(/\\/g, '/') : cwd
  // most paths agents name are already clean: joining and normalising them would change nothing
  const joined = p.startsWith('/') ? p : `${base}/${p}`
  if (joined.startsWith('/') && p !== '' && base !== '' && !UNCLEAN.test(joined)) return joined
  if (!p.startsWith('/')) p = posix.join(base, p)
  const cleaned = posix.normalize(p)
  return cleaned.length > 1 && cleaned.endsWith('/') ? cleaned.slice(0, -1) : cleaned
}

/**
 * A leading `~`, `$HOME` or `${HOME}` (slashes already forward) replaced by the home folder, in paths and path
 * patterns alike. A home folder of / (a container's root user) does not double the slash: `~/.ssh` is `/.ssh`.
 */
export function expandHome(p: string, home: string): string {
  const expand = (rest: string) => (home === '/' && rest.startsWith('/') ? rest : home + rest)
  if (p === '~' || p.startsWith('~/')) return expand(p.slice(1))
  if (p === '$HOME' || p.startsWith('$HOME/')) return expand(p.slice(5))
  if (p.startsWith('${HOME}')) return expand(p.slice(7))
  return p
}

/**
 * The symlink-resolved form of a normalised path; for a path that does not exist yet (a file about to be
 * written), the deepest existing ancestor is resolved and the rest appended. Undefined when nothing resolves
 * differently.
 *
 * realpath is only called on a path known to exist: a failed realpath throws, and a thrown error costs several
 * times the system calls. existsSync tells existence without throwing and without building a Stats object as lstat
 * does; lstat is left for telling a dangling symlink (there, but resolving to nothing) from nothing at all.
 */
export function resolveSymlinks(normalised: string): string | undefined {
  if (linkFreeNatively(normalised)) return undefined
  walkLeft = MAX_WALK
  const r = resolveFrom(normalised, 0)
  return r === LOOP ? undefined : r
}

/**
 * The native path check (native/paths.c: one openat2 call with RESOLVE_NO_SYMLINKS), when built. Its answers:
 * 1 no link on the way, 0 a link somewhere, -errno otherwise. Loaded only once a process has resolved
 * NATIVE_AFTER paths: a one-shot run (a hook call, a dry run) decides once and would only pay for loading it.
 */
interface NativePaths {
  linkFree(path: string): number
}
const NATIVE_AFTER = 16
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
const ENOENT = 2
let native: NativePaths | null | undefined
let resolutions = 0

/**
 * True when the path is certainly its own resolved form: it exists and no component is a symlink, or a
 * component is missing and every one before it is a real folder (nothing after a missing folder can be a link).
 * False means "resolve the slow way" — a link on the way, or anything the native check does not answer.
 */
function linkFreeNatively(path: string): boolean {
  if (native === undefined) {
    if (++resolutions <= NATIVE_AFTER) return false
    native = loadNativePaths()
  }
  // a lone surrogate reaches the system as U+FFFD, which the realpath resolution reports as a different path
  if (native === null || LONE_SURROGATE.test(path)) return false
  const answer = native.linkFree(path)
  return answer === 1 || answer === -ENOENT
}

function loadNativePaths(): NativePaths | null {
  if (process.platform !== 'linux' || process.env.RAMPART_NO_NATIVE) return null
  try {
    const module = {exports: {} as Partial<NativePaths>}
    process.dlopen(module, join(packageRoot(), 'native', 'build', 'Release', 'rampart_paths.node'))
    return typeof module.exports.linkFree === 'function' ? (module.exports as NativePaths) : null
  } catch {
    // not built (no compiler at install, another platform): realpath answers alone
    return null
  }
}

/**
 * Tests and benchmarks: turn the native check on (now, without the start-up allowance) or off. Returns whether
 * it is in use.
 */
export function useNativePaths(on: boolean): boolean {
  native = on ? loadNativePaths() : null
  return native !== null
}

/** A chain of dangling links longer than the kernel follows (ELOOP): nothing can be created through it. */
const LOOP = Symbol('loop')

/**
 * Steps up through missing folders allowed per resolution, over every link followed. A path the system accepts
 * (4,096 bytes) has at most 2,048 components; a chain of 40 dangling links to deep missing targets could make
 * 40 × 2,000 steps of system calls — it fails closed instead.
 */
const MAX_WALK = 2048
let walkLeft = 0

function resolveFrom(normalised: string, hops: number): string | undefined | typeof LOOP {
  let head = normalised
  const rest: string[] = []
  if (!present(head)) {
    // walk up to the deepest existing path, however many missing folders a new file would create on the way (each
    // step shortens the path, so this ends at the root; MAX_WALK bounds the steps over a chain of links)
    for (;;) {
      if (--walkLeft < 0) throw new Error('too many missing folders below symlinks to resolve the path')
      const parent = posix.dirname(head)
      if (parent === head) return undefined
      rest.push(posix.basename(head))
      head = parent
      if (present(head)) break
    }
    rest.reverse()
  }
  const real = realpathOf(head)
  if (real !== undefined) return joinResolved(real, rest, normalised)
  // A dangling symlink: a write through it creates its target (a link to a missing ~/.ssh/authorized_keys, say),
  // so the target is what rules must see. Followed by hand, up to the kernel's own limit of 40 links.
  const target = linkTarget(head)
  if (target === undefined) return undefined
  if (hops >= 40) return LOOP
  // nothing exists below a link that does not resolve: its target is resolved, then the missing rest appended (not
  // walked again from the target's end, once per link of a chain)
  const resolved = resolveFrom(target, hops + 1)
  if (resolved === LOOP) return LOOP
  const base = resolved ?? target
  const final = rest.length === 0 ? base : posix.join(base, ...rest)
  return final === normalised ? undefined : final
}

function linkTarget(link: string): string | undefined {
  try {
    const to = readlinkSync(link).replace(/\\/g, '/')
    return posix.normalize(to.startsWith('/') ? to : posix.join(posix.dirname(link), to))
  } catch {
    return undefined
  }
}

function realpathOf(path: string): string | undefined {
  try {
    return realpathSync.native(path)
  } catch {
    return undefined
  }
}

/** Whether anything is at the path, a dangling symlink included (which lstat sees and existsSync does not). */
function present(path: string): boolean {
  return existsSync(path) || lstatSync(path, {throwIfNoEntry: false}) !== undefined
}

/** The resolved head with the rest of the path appended; undefined when that is the path itself. */
function joinResolved(real: string, rest: string[], normalised: string): string | undefined {
  if (real.includes('\\')) real = real.replace(/\\/g, '/')
  const full = rest.length === 0 && !UNCLEAN.test(real) ? real : posix.join(real, ...rest)
  return full === normalised ? undefined : full
}
