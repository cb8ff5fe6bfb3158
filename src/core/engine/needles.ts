/**
 * Which of many short lowercase ASCII texts ("needles") occur in a text, ignoring ASCII case, in one pass over it.
 * Used to route a call to the rules whose literal text its command contains, and within a rule to the globs: a
 * glob whose needle the command lacks cannot match it and is not looked at.
 *
 * Needles are bucketed by their first four characters (first two for shorter ones). A small table, indexed by the
 * first two characters, says whether any needle starts that way: most positions of a text are passed over with one
 * array read, so the cost grows with the text and hardly with the number of needles.
 */
export class NeedleIndex<T> {
  /** needles of two or three characters, by their first two */
  private readonly pairs = new Map<number, Bucket<T>>()
  /** longer needles, by their first four */
  private readonly quads = new Map<number, Bucket<T>>()
  /** SHORT / LONG bits per hashed pair of first characters; built on first use, sized to the needles */
  private starts: Uint8Array | undefined
  private count = 0
  private readonly entries = new Map<string, {needle: string; items: T[]}>()

  get size(): number {
    return this.count
  }

  /** Needles must be lowercase ASCII (see isNeedle): `item` is reported whenever `needle` occurs. */
  add(needle: string, item: T): void {
    // a process's first call builds the index from ~1,000 needles: a map finds a repeated needle without scanning
    // its bucket, which matters before the JIT has warmed up
    let entry = this.entries.get(needle)
    if (!entry) {
      if (!isNeedle(needle)) throw new Error(`not a needle: ${JSON.stringify(needle)}`)
      const long = needle.length >= 4
      const map = long ? this.quads : this.pairs
      const key = long ? quad(needle.charCodeAt(0), needle.charCodeAt(1), needle.charCodeAt(2), needle.charCodeAt(3)) : pair(needle.charCodeAt(0), needle.charCodeAt(1))
      let bucket = map.get(key)
      if (!bucket) map.set(key, (bucket = []))
      entry = {needle, items: [item]}
      bucket.push(entry)
      this.entries.set(needle, entry)
    } else if (!entry.items.includes(item)) entry.items.push(item)
    this.count++
    this.starts = undefined
  }

  /**
   * Calls `visit` with the items of every needle that occurs in `text`, ignoring ASCII case, until a call returns
   * true; then returns true.
   */
  forEachIn(text: string, visit: (items: readonly T[], text: string) => boolean | void): boolean {
    const n = text.length
    if (n < 2) return false
    const starts = this.starts ?? this.seal()
    const mask = starts.length - 1
    let a = 0
    let b = lower(text.charCodeAt(0))
    let c = lower(text.charCodeAt(1))
    let d = n > 2 ? lower(text.charCodeAt(2)) : 128
    for (let i = 0; i < n - 1; i++) {
      a = b
      b = c
      c = d
      d = i + 3 < n ? lower(text.charCodeAt(i + 3)) : 128
      if ((a | b) >= 128) continue
      const p = pair(a, b)
      const kinds = starts[p & mask] as number
      if (kinds === 0) continue
      if (kinds & SHORT) {
        const bucket = this.pairs.get(p)
        if (bucket !== undefined) {
          for (const e of bucket) if ((e.needle.length === 2 || e.needle.charCodeAt(2) === c) && visit(e.items, text) === true) return true
        }
      }
      if ((kinds & LONG) === 0 || (c | d) >= 128) continue
      const bucket = this.quads.get(quad(a, b, c, d))
      if (bucket === undefined) continue
      for (const e of bucket) if (foldedAt(text, e.needle, i) && visit(e.items, text) === true) return true
    }
    return false
  }

  /** The table of first pairs: sixteen slots per pair in use (up to one per ASCII pair), so collisions are rare. */
  private seal(): Uint8Array {
    let size = 16
    while (size < PAIRS && size < (this.pairs.size + this.quads.size) * 16) size *= 2
    const starts = new Uint8Array(size)
    for (const p of this.pairs.keys()) starts[p & (size - 1)] = (starts[p & (size - 1)] as number) | SHORT
    for (const q of this.quads.keys()) starts[(q >> 14) & (size - 1)] = (starts[(q >> 14) & (size - 1)] as number) | LONG
    this.starts = starts
    return starts
  }
}

type Bucket<T> = Array<{needle: string; items: T[]}>

const PAIRS = 128 * 128
const SHORT = 1
const LONG = 2
/** Two ASCII characters as one small integer (14 bits). */
const pair = (a: number, b: number): number => a * 128 + b
/** Four ASCII characters as one small integer (28 bits), its top 14 bits the pair of the first two. */
const quad = (a: number, b: number, c: number, d: number): number => pair(a, b) * PAIRS + pair(c, d)

/** ASCII letters lowercased; other characters as they are. */
const lower = (code: number): number => (code >= 65 && code <= 90 ? code + 32 : code)

/** Whether `needle` (lowercase) occurs at `at` in `text`, ignoring ASCII case; its first four characters are known to. */
function foldedAt(text: string, needle: string, at: number): boolean {
  if (text.length - at < needle.length) return false
  for (let k = 4; k < needle.length; k++) if (lower(text.charCodeAt(at + k)) !== needle.charCodeAt(k)) return false
  return true
}

/**
 * Lowercase ASCII of at least two characters. Lowercasing a text maps each of its ASCII characters to exactly one
 * character, in place, so a needle found case-insensitively in the text is found in the lowercased text.
 */
export function isNeedle(text: string): boolean {
  if (text.length < 2) return false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 128 || (c >= 65 && c <= 90)) return false
  }
  return true
}
