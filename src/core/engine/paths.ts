import {lstatSync, realpathSync} from 'node:fs'
import {posix, win32} from 'node:path'

/**
 * A path as rules see it (policy.md §3.2): `~` and `$HOME` expanded, relative paths joined to the call's folder,
 * `.` / `..` / duplicate slashes cleaned, backslashes turned into `/`. Never touches the disk.
 */
export function normalisePath(input: string, cwd: string, home: string): string {
  let p = input.replace(/\\/g, '/')
  if (p === '~' || p.startsWith('~/')) p = home + p.slice(1)
  else if (p === '$HOME' || p.startsWith('$HOME/')) p = home + p.slice(5)
  else if (p.startsWith('${HOME}')) p = home + p.slice(7)
  if (/^[a-zA-Z]:\//.test(p)) return win32.normalize(p).replace(/\\/g, '/')
  if (!p.startsWith('/')) p = posix.join(cwd.replace(/\\/g, '/'), p)
  const cleaned = posix.normalize(p)
  return cleaned.length > 1 && cleaned.endsWith('/') ? cleaned.slice(0, -1) : cleaned
}

/**
 * The symlink-resolved form of a normalised path; for a path that does not exist yet (a file about to be
 * written), the deepest existing ancestor is resolved and the rest appended. Undefined when nothing resolves
 * differently.
 */
export function resolveSymlinks(normalised: string): string | undefined {
  // Walk up to the deepest existing path with lstat, which reports absence without throwing (a thrown ENOENT costs
  // more than the system calls), then resolve that with one realpath.
  let head = normalised
  const rest: string[] = []
  if (!lstatSync(head, {throwIfNoEntry: false})) for (let i = 0; i < 256; i++) {
    const parent = posix.dirname(head)
    if (parent === head) return undefined
    rest.unshift(posix.basename(head))
    head = parent
    if (lstatSync(head, {throwIfNoEntry: false})) break
  }
  let real: string
  try {
    real = realpathSync.native(head).replace(/\\/g, '/')
  } catch {
    return undefined
  }
  const full = posix.join(real, ...rest)
  return full === normalised ? undefined : full
}
