import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

let root: string | undefined

/**
 * The installed package's folder (the one holding policies/ and schemas/). Found by walking up from this module,
 * so it is right both from dist/core/... and from the single-file bundle the lean entry loads (dist/lean.cjs).
 */
export function packageRoot(): string {
  if (root) return root
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'schemas', 'policy.schema.json'))) {
      root = dir
      return dir
    }
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  throw new Error(`cannot find Rampart's package folder above ${fileURLToPath(import.meta.url)}`)
}

/** FNV-1a (32-bit): a cheap fingerprint to tell whether a shipped file still matches its build-time snapshot. */
export function fingerprint(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return `${text.length}:${(h >>> 0).toString(16)}`
}
