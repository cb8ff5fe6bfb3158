import {existsSync, lstatSync, readlinkSync, realpathSync} from 'node:fs'
import {posix, win32} from 'node:path'

/** A `//`, `.` or `..` segment, or a trailing slash: what posix.normalize would change in an absolute path. */
const UNCLEAN = /\/\.{0,2}(?:\/|$)/

/**
 * A path as rules see it (policy.md §3.2): `~` and `$HOME` expanded, relative paths joined to the call's folder,
 * `.` / `..` / duplicate slashes cleaned, backslashes turned into `/`. Never touches the disk.
 */
export function normalisePath(input: string, cwd: string, home: string): string {
  let p = input.includes('\\') ? input.replace(/\\/g, '/') : input
  if (p === '~' || p.startsWith('~/')) p = home + p.slice(1)
  else if (p === '$HOME' || p.startsWith('$HOME/')) p = home + p.slice(5)
  else if (p.startsWith('${HOME}')) p = home + p.slice(7)
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
 * The symlink-resolved form of a normalised path; for a path that does not exist yet (a file about to be
 * written), the deepest existing ancestor is resolved and the rest appended. Undefined when nothing resolves
 * differently.
 *
 * realpath is only called on a path known to exist: a failed realpath throws, and a thrown error costs several
 * times the system calls. existsSync tells existence without throwing and without building a Stats object as lstat
 * does; lstat is left for telling a dangling symlink (there, but resolving to nothing) from nothing at all.
 */
export function resolveSymlinks(normalised: string): string | undefined {
  const r = resolveFrom(normalised, 0)
  return r === LOOP ? undefined : r
}

/** A chain of dangling links longer than the kernel follows (ELOOP): nothing can be created through it. */
const LOOP = Symbol('loop')

function resolveFrom(normalised: string, hops: number): string | undefined | typeof LOOP {
  let head = normalised
  const rest: string[] = []
  if (!present(head)) {
    // walk up to the deepest existing path
    for (let i = 0; i < 256; i++) {
      const parent = posix.dirname(head)
      if (parent === head) return undefined
      rest.unshift(posix.basename(head))
      head = parent
      if (present(head)) break
    }
  }
  const real = realpathOf(head)
  if (real !== undefined) return joinResolved(real, rest, normalised)
  // A dangling symlink: a write through it creates its target (a link to a missing ~/.ssh/authorized_keys, say),
  // so the target is what rules must see. Followed by hand, up to the kernel's own limit of 40 links.
  const target = linkTarget(head)
  if (target === undefined) return undefined
  if (hops >= 40) return LOOP
  const through = rest.length === 0 ? target : posix.join(target, ...rest)
  const resolved = resolveFrom(through, hops + 1)
  if (resolved === LOOP) return LOOP
  const final = resolved ?? through
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
