import {picomatch} from '../lazy.js'

/**
 * Command globs (policy.md §3.1): `*` and `**` match any run of characters including `/` and spaces, `?` one
 * character, `[...]` a class, anchored at both ends, `\x` a literal x.
 * Hand-written rather than compiled to a RegExp: a backtracking regex for `a*b*c*...` goes polynomial on long
 * commands, while this two-pointer matcher is O(pattern × input) in the worst case and linear in practice.
 */
export interface CommandGlob {
  readonly source: string
  /** Literal text every match must start with (quick reject). */
  readonly prefix: string
  /** Literal text every match must end with (quick reject). */
  readonly suffix: string
  /** The longest literal run of the pattern: every match contains it (quick reject with includes()). */
  readonly core: string
  test(input: string): boolean
}

const LITERAL = 0
const ANY_ONE = 1
const STAR = 2
const CLASS = 3

interface CharClass {
  negated: boolean
  singles: Set<number>
  ranges: Array<[number, number]>
}

export function countGlobstars(pattern: string): number {
  let count = 0
  for (let i = 0; i < pattern.length - 1; i++) {
    if (pattern[i] === '\\') {
      i++
      continue
    }
    if (pattern[i] === '*' && pattern[i + 1] === '*') {
      count++
      while (pattern[i + 1] === '*') i++
    }
  }
  return count
}

export function compileCommandGlob(pattern: string): CommandGlob {
  const kinds: number[] = []
  const codes: number[] = []
  const classes: Array<CharClass | undefined> = []
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string
    if (ch === '\\' && i + 1 < pattern.length) {
      i++
      kinds.push(LITERAL); codes.push(pattern.charCodeAt(i)); classes.push(undefined)
    } else if (ch === '*') {
      // runs of stars are one star in this dialect
      if (kinds[kinds.length - 1] !== STAR) {
        kinds.push(STAR); codes.push(0); classes.push(undefined)
      }
    } else if (ch === '?') {
      kinds.push(ANY_ONE); codes.push(0); classes.push(undefined)
    } else if (ch === '[') {
      const parsed = parseClass(pattern, i)
      if (parsed) {
        kinds.push(CLASS); codes.push(0); classes.push(parsed.cls)
        i = parsed.end
      } else {
        kinds.push(LITERAL); codes.push(91); classes.push(undefined)
      }
    } else {
      kinds.push(LITERAL); codes.push(pattern.charCodeAt(i)); classes.push(undefined)
    }
  }
  let prefix = ''
  for (let k = 0; k < kinds.length && kinds[k] === LITERAL; k++) prefix += String.fromCharCode(codes[k] as number)
  let suffix = ''
  if (prefix.length < kinds.length) {
    for (let k = kinds.length - 1; k >= 0 && kinds[k] === LITERAL; k--) suffix = String.fromCharCode(codes[k] as number) + suffix
  }
  let core = ''
  for (let k = 0, run = ''; k <= kinds.length; k++) {
    if (k < kinds.length && kinds[k] === LITERAL) {
      run += String.fromCharCode(codes[k] as number)
    } else {
      if (run.length > core.length) core = run
      run = ''
    }
  }
  const n = kinds.length
  const onlyLiteral = prefix.length === n
  const starOnlyAtEnd = n === prefix.length + 1 && kinds[n - 1] === STAR
  const kindArr = Uint8Array.from(kinds)
  const codeArr = Int32Array.from(codes)

  const test = (input: string): boolean => {
    if (onlyLiteral) return input === prefix
    if (starOnlyAtEnd) return input.startsWith(prefix)
    if (input.length < prefix.length + suffix.length || !input.startsWith(prefix) || !input.endsWith(suffix)) return false
    let ti = 0
    let si = 0
    let starTi = -1
    let starSi = 0
    const len = input.length
    while (si < len) {
      if (ti < n) {
        const kind = kindArr[ti]
        if (kind === STAR) {
          starTi = ti++
          starSi = si
          continue
        }
        const c = input.charCodeAt(si)
        if ((kind === LITERAL && codeArr[ti] === c) || kind === ANY_ONE || (kind === CLASS && classMatches(classes[ti] as CharClass, c))) {
          ti++
          si++
          continue
        }
      }
      if (starTi < 0) return false
      ti = starTi + 1
      si = ++starSi
    }
    while (ti < n && kindArr[ti] === STAR) ti++
    return ti === n
  }
  return {source: pattern, prefix, suffix, core, test}
}

function parseClass(pattern: string, start: number): {cls: CharClass; end: number} | undefined {
  let i = start + 1
  let negated = false
  if (pattern[i] === '!' || pattern[i] === '^') {
    negated = true
    i++
  }
  const singles = new Set<number>()
  const ranges: Array<[number, number]> = []
  let first = true
  while (i < pattern.length) {
    let ch = pattern[i] as string
    if (ch === ']' && !first) return {cls: {negated, singles, ranges}, end: i}
    first = false
    if (ch === '\\' && i + 1 < pattern.length) ch = pattern[++i] as string
    if (pattern[i + 1] === '-' && i + 2 < pattern.length && pattern[i + 2] !== ']') {
      const lo = ch.charCodeAt(0)
      let hiCh = pattern[i + 2] as string
      let skip = 2
      if (hiCh === '\\' && i + 3 < pattern.length) {
        hiCh = pattern[i + 3] as string
        skip = 3
      }
      ranges.push([lo, hiCh.charCodeAt(0)])
      i += skip + 1
      continue
    }
    singles.add(ch.charCodeAt(0))
    i++
  }
  return undefined
}

function classMatches(cls: CharClass, code: number): boolean {
  let hit = cls.singles.has(code)
  if (!hit) {
    for (const [lo, hi] of cls.ranges) {
      if (code >= lo && code <= hi) {
        hit = true
        break
      }
    }
  }
  return hit !== cls.negated
}

/** A list of command globs as one matcher: true when any glob matches. */
export interface GlobSet {
  readonly sources: readonly string[]
  test(input: string): boolean
  /** The first pattern that matches, for explanations. */
  find(input: string): string | undefined
}

const KEY = 2
/** Two characters as one number: Map lookups without allocating a substring per call. */
const key2 = (text: string, at: number) => text.charCodeAt(at) * 65536 + text.charCodeAt(at + 1)

/**
 * Compiled on first use (a call only pays for the rules of the tools it reaches), and indexed: globs are bucketed
 * by the first two characters of their literal prefix, or else the last two of their literal suffix, so a
 * command is only compared with the few globs that could match it; the rest are pre-filtered by their longest
 * literal run.
 */
export function compileCommandGlobSet(patterns: readonly string[]): GlobSet {
  interface Index {byPrefix: Map<number, CommandGlob[]>; bySuffix: Map<number, CommandGlob[]>; rest: CommandGlob[]; short: CommandGlob[]; keyed: CommandGlob[]; matchAll: boolean}
  let index: Index | undefined
  const build = (): Index => {
    const all = patterns.map(compileCommandGlob)
    const ix: Index = {byPrefix: new Map(), bySuffix: new Map(), rest: [], short: [], keyed: [], matchAll: patterns.some((p) => p.length > 0 && /^\*+$/.test(p))}
    const push = (map: Map<number, CommandGlob[]>, key: number, g: CommandGlob) => {
      const list = map.get(key)
      if (list) list.push(g)
      else map.set(key, [g])
    }
    for (const g of all) {
      if (g.prefix.length >= KEY) push(ix.byPrefix, key2(g.prefix, 0), g)
      else if (g.suffix.length >= KEY) push(ix.bySuffix, key2(g.suffix, g.suffix.length - KEY), g)
      else if (g.prefix.length > 0 || g.suffix.length > 0 || g.core.length === 0) ix.short.push(g)
      else ix.rest.push(g)
      if (g.prefix.length >= KEY || g.suffix.length >= KEY) ix.keyed.push(g)
    }
    index = ix
    return ix
  }
  const find = (input: string): CommandGlob | undefined => {
    const ix = index ?? build()
    if (input.length >= KEY) {
      const head = ix.byPrefix.get(key2(input, 0))
      if (head) for (const g of head) if (g.test(input)) return g
      const tail = ix.bySuffix.get(key2(input, input.length - KEY))
      if (tail) for (const g of tail) if (g.test(input)) return g
    } else {
      for (const g of ix.keyed) if (g.test(input)) return g
    }
    for (const g of ix.short) if (g.test(input)) return g
    for (const g of ix.rest) if (input.includes(g.core) && g.test(input)) return g
    return undefined
  }
  return {
    sources: patterns,
    test: (input) => (index ?? build()).matchAll || find(input) !== undefined,
    find: (input) => find(input)?.source,
  }
}

// ----- path globs ---------------------------------------------------------------------------------------------

export interface PathGlobOptions {
  home: string
  /** Compare lowercased too (macOS / Windows). */
  caseInsensitive?: boolean
}

/**
 * Path globs (policy.md §3.2), matched with picomatch: `*` within a segment, `**` across segments, dotfiles
 * included. Patterns are normalised the way paths are: `~` and `$HOME` expand to the home folder. A pattern
 * without a slash (`*.pem`, `.env`) matches the file name in any folder; a relative pattern with a slash
 * (`.rampart/**`) matches at any depth, as if it started with a `**` folder.
 */
export function normalisePathPattern(pattern: string, home: string): string {
  let p = pattern.replace(/\\/g, '/')
  if (p === '~' || p.startsWith('~/')) p = home + p.slice(1)
  else if (p === '$HOME' || p.startsWith('$HOME/')) p = home + p.slice(5)
  else if (p.startsWith('${HOME}')) p = home + p.slice(7)
  if (!p.startsWith('/') && p.includes('/') && !p.startsWith('**')) p = '**/' + p
  return p
}

export function compilePathGlobSet(patterns: readonly string[], options: PathGlobOptions): GlobSet {
  let matchers: Array<{source: string; matcher: (input: string) => boolean}> | undefined
  const compiled = () => {
    matchers ??= patterns.map((source) => {
      const normalised = normalisePathPattern(source, options.home)
      const base = !normalised.includes('/')
      return {source, matcher: picomatch()(normalised, {dot: true, basename: base, nocase: options.caseInsensitive ?? false})}
    })
    return matchers
  }
  return {
    sources: patterns,
    test: (input) => {
      for (const c of compiled()) if (c.matcher(input)) return true
      return false
    },
    find: (input) => compiled().find((c) => c.matcher(input))?.source,
  }
}
