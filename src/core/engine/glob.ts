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
  // literal runs between wildcards: every match contains each of them, so includes() rejects most inputs cheaply
  const runs: string[] = []
  for (let k = prefix.length, run = ''; k <= kinds.length; k++) {
    if (k < kinds.length && kinds[k] === LITERAL) {
      run += String.fromCharCode(codes[k] as number)
    } else {
      if (run) runs.push(run)
      run = ''
    }
  }
  if (suffix && runs[runs.length - 1] === suffix) runs.pop()
  let core = prefix.length >= suffix.length ? prefix : suffix
  for (const r of runs) if (r.length > core.length) core = r
  const innerRuns = runs.filter((r) => r.length > 0)
  // runs written as case-pair classes (`[Pp][Aa][Ss][Ss]`) must occur ignoring case: a cheap reject too
  const foldRuns: string[] = []
  for (let k = 0, run = ''; k <= kinds.length; k++) {
    const folded = k < kinds.length ? foldedChar(kinds[k] as number, codes[k] as number, classes[k]) : undefined
    if (folded !== undefined) {
      run += folded
    } else {
      if (run.length >= 3 && run !== run.toUpperCase()) foldRuns.push(run)
      run = ''
    }
  }
  const needsFold = foldRuns.length > 0 && classes.some((c) => c !== undefined)
  const n = kinds.length
  const onlyLiteral = prefix.length === n
  const starOnlyAtEnd = n === prefix.length + 1 && kinds[n - 1] === STAR
  const kindArr = Uint8Array.from(kinds)
  const codeArr = Int32Array.from(codes)

  const test = (input: string): boolean => {
    if (onlyLiteral) return input === prefix
    if (starOnlyAtEnd) return input.startsWith(prefix)
    if (input.length < prefix.length + suffix.length || !input.startsWith(prefix) || !input.endsWith(suffix)) return false
    for (const r of innerRuns) if (!input.includes(r)) return false
    if (needsFold) {
      const lower = lowered(input)
      for (const r of foldRuns) if (!lower.includes(r)) return false
    }
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

/** The lowercase letter a token stands for when it is a letter or a case pair like [Pp]; undefined otherwise. */
function foldedChar(kind: number, code: number, cls: CharClass | undefined): string | undefined {
  if (kind === LITERAL) {
    const ch = String.fromCharCode(code)
    return ch.toLowerCase() === ch.toUpperCase() ? (/[ ./_-]/.test(ch) ? ch : undefined) : ch.toLowerCase()
  }
  if (kind !== CLASS || !cls || cls.negated || cls.ranges.length > 0 || cls.singles.size !== 2) return undefined
  const [a, b] = [...cls.singles].map((c) => String.fromCharCode(c))
  return a && b && a !== b && a.toLowerCase() === b.toLowerCase() ? a.toLowerCase() : undefined
}

// the same input is compared with many globs in a row: lowercase it once
let lastInput = ''
let lastLower = ''
function lowered(input: string): string {
  if (input !== lastInput) {
    lastInput = input
    lastLower = input.toLowerCase()
  }
  return lastLower
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

/** The literal text before the first and after the last wildcard (escapes resolved), as compileCommandGlob sees it. */
export function literalEnds(pattern: string): {prefix: string; suffix: string} {
  let prefix = ''
  let i = 0
  for (; i < pattern.length; i++) {
    const ch = pattern[i] as string
    if (ch === '*' || ch === '?' || ch === '[') break
    if (ch === '\\' && i + 1 < pattern.length) prefix += pattern[++i]
    else prefix += ch
  }
  if (i >= pattern.length) return {prefix, suffix: ''}
  let suffix = ''
  for (let j = pattern.length - 1; j > i; j--) {
    const ch = pattern[j] as string
    if (ch === '*' || ch === '?' || ch === ']') break
    // an escaped character at the end: keep it, skip the backslash
    if (pattern[j - 1] === '\\' && j - 1 > i) {
      suffix = ch + suffix
      j--
      continue
    }
    suffix = ch + suffix
  }
  return {prefix, suffix}
}

/** A list of command globs as one matcher: true when any glob matches. */
export interface GlobSet {
  readonly sources: readonly string[]
  test(input: string): boolean
  /** The first pattern that matches, for explanations. */
  find(input: string): string | undefined
  /** Compile now instead of on first use (long-running processes do this at load). */
  compile(): void
  /**
   * Routing keys (see routingKeys below) such that every input this set can match has one of them; undefined when
   * some glob has no literal prefix or suffix of two characters, i.e. could match anything.
   */
  routingKeys?(): readonly number[] | undefined
}


const KEY = 2

/**
 * A RegExp that finds any of the literal strings: alternation of escaped literals has no quantifiers, so it cannot
 * backtrack catastrophically; it replaces one includes() per literal with a single scan.
 */
export function literalAlternation(literals: readonly string[], flags = ''): RegExp {
  const unique = [...new Set(literals)].sort((a, b) => b.length - a.length)
  return new RegExp(unique.map((l) => l.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), flags)
}
/** Two characters as one number: Map lookups without allocating a substring per call. */
const key2 = (text: string, at: number) => text.charCodeAt(at) * 65536 + text.charCodeAt(at + 1)

/** The keys an input can be routed by: its first two characters, and (negated) its last two. */
export function routingKeysOf(input: string): [number, number, number] | undefined {
  if (input.length < KEY) return undefined
  return [key2(input, 0), -1 - key2(input, input.length - KEY), key1(input)]
}

/** The first character alone, for globs whose literal prefix is one character (`$*`, `` `* ``). */
const FIRST_CHAR = 2 ** 33
const key1 = (text: string) => FIRST_CHAR + text.charCodeAt(0)

/**
 * Compiled on first use (a call only pays for the rules of the tools it reaches), and indexed: globs are bucketed
 * by the first two characters of their literal prefix, or else the last two of their literal suffix, so a
 * command is only compared with the few globs that could match it; the rest are pre-filtered by their longest
 * literal run.
 */
/**
 * A glob classified from its text alone and compiled the first time it is tested: a rule's set can hold a hundred
 * patterns of which a call only ever reaches the few in its bucket.
 */
interface LazyGlob {
  source: string
  prefix: string
  suffix: string
  core: string
  test(input: string): boolean
}

function lazyGlob(source: string): LazyGlob {
  let compiled: CommandGlob | undefined
  const {prefix, suffix} = literalEnds(source)
  // the longest literal run; for patterns with classes or escapes, the compiled glob knows it exactly
  const core = /[[\\]/.test(source) ? (compiled = compileCommandGlob(source)).core : source.split(/[*?]+/).reduce((a, b) => (b.length > a.length ? b : a), '')
  return {source, prefix, suffix, core, test: (input) => (compiled ??= compileCommandGlob(source)).test(input)}
}

export function compileCommandGlobSet(patterns: readonly string[]): GlobSet {
  interface Index {byPrefix: Map<number, LazyGlob[]>; bySuffix: Map<number, LazyGlob[]>; byFirst: Map<number, LazyGlob[]>; rest: LazyGlob[]; restFilter: RegExp | undefined; short: LazyGlob[]; keyed: LazyGlob[]; matchAll: boolean}
  let index: Index | undefined
  const build = (): Index => {
    const all = patterns.map(lazyGlob)
    const ix: Index = {byPrefix: new Map(), bySuffix: new Map(), byFirst: new Map(), rest: [], restFilter: undefined, short: [], keyed: [], matchAll: patterns.some((p) => p.length > 0 && /^\*+$/.test(p))}
    const push = (map: Map<number, LazyGlob[]>, key: number, g: LazyGlob) => {
      const list = map.get(key)
      if (list) list.push(g)
      else map.set(key, [g])
    }
    for (const g of all) {
      // a suffix discriminates better than a shared prefix (`rm -r* /etc`, `rm -r* ~`)
      if (g.suffix.length >= KEY) push(ix.bySuffix, key2(g.suffix, g.suffix.length - KEY), g)
      else if (g.prefix.length >= KEY) push(ix.byPrefix, key2(g.prefix, 0), g)
      else if (g.prefix.length === 1) push(ix.byFirst, key1(g.prefix), g)
      else if (g.suffix.length > 0 || g.core.length === 0) ix.short.push(g)
      else ix.rest.push(g)
      if (g.prefix.length >= 1 || g.suffix.length >= KEY) ix.keyed.push(g)
    }
    // one pass over the input tells whether any unanchored glob's literal core occurs at all
    if (ix.rest.length > 1) ix.restFilter = literalAlternation(ix.rest.map((g) => g.core))
    index = ix
    return ix
  }
  const find = (input: string): LazyGlob | undefined => {
    const ix = index ?? build()
    if (input.length >= KEY) {
      const head = ix.byPrefix.get(key2(input, 0))
      if (head) for (const g of head) if (g.test(input)) return g
      const tail = ix.bySuffix.get(key2(input, input.length - KEY))
      if (tail) for (const g of tail) if (g.test(input)) return g
      const first = ix.byFirst.get(key1(input))
      if (first) for (const g of first) if (g.test(input)) return g
    } else {
      for (const g of ix.keyed) if (g.test(input)) return g
    }
    for (const g of ix.short) if (g.test(input)) return g
    if (ix.rest.length > 0 && (!ix.restFilter || ix.restFilter.test(input))) {
      for (const g of ix.rest) if (input.includes(g.core) && g.test(input)) return g
    }
    return undefined
  }
  return {
    sources: patterns,
    test: (input) => (index ?? build()).matchAll || find(input) !== undefined,
    find: (input) => find(input)?.source,
    compile: () => {
      const ix = index ?? build()
      for (const list of [...ix.byPrefix.values(), ...ix.bySuffix.values(), ...ix.byFirst.values(), ix.short, ix.rest]) for (const g of list) g.test('')
    },
    // from the pattern text alone, without compiling: a rule routed away never pays for its globs
    routingKeys: () => {
      const keys: number[] = []
      for (const p of patterns) {
        const {prefix, suffix} = literalEnds(p)
        if (suffix.length >= KEY) keys.push(-1 - key2(suffix, suffix.length - KEY))
        else if (prefix.length >= KEY) keys.push(key2(prefix, 0))
        else if (prefix.length === 1) keys.push(key1(prefix))
        else return undefined
      }
      return keys
    },
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

/**
 * Literal text a path glob's matches must start with, end with and contain (picomatch syntax, conservatively):
 * slashes next to `**` are dropped (`/a/**` matches `/a`), and nothing inside braces, classes or extglobs counts.
 */
export function pathLiterals(pattern: string): {prefix: string; suffix: string; core: string} {
  const special = /[*?[\]{}()!+@\\]/
  let i = 0
  while (i < pattern.length && !special.test(pattern[i] as string)) i++
  if (i === pattern.length) return {prefix: pattern, suffix: pattern, core: pattern}
  let j = pattern.length
  while (j > i && !special.test(pattern[j - 1] as string)) j--
  let prefix = pattern.slice(0, i)
  let suffix = pattern.slice(j)
  const middle = pattern.slice(i, j)
  if (middle.startsWith('**') && prefix.endsWith('/')) prefix = prefix.slice(0, -1)
  if (middle.endsWith('**') && suffix.startsWith('/')) suffix = suffix.slice(1)
  let core = ''
  if (!/[[\]{}()!+@\\]/.test(middle)) {
    for (const run of middle.split(/[*?]+/)) {
      const trimmed = run.replace(/^\/+|\/+$/g, '')
      if (trimmed.length > core.length) core = trimmed
    }
  }
  return {prefix, suffix, core}
}

export function compilePathGlobSet(patterns: readonly string[], options: PathGlobOptions): GlobSet {
  // picomatch's RegExp used directly (its matcher function re-normalises the input on every call), behind literal
  // checks that reject most paths without running the regex
  interface PathGlob {source: string; re: RegExp; base: boolean; prefix: string; suffix: string; core: string}
  let matchers: PathGlob[] | undefined
  const nocase = options.caseInsensitive ?? false
  const compiled = () => {
    matchers ??= patterns.map((source) => {
      const normalised = normalisePathPattern(source, options.home)
      const base = !normalised.includes('/')
      const lit = nocase ? {prefix: '', suffix: '', core: ''} : pathLiterals(normalised)
      return {source, base, re: picomatch().makeRe(normalised, {dot: true, nocase}), prefix: base ? '' : lit.prefix, suffix: lit.suffix, core: lit.core}
    })
    return matchers
  }
  const hit = (c: PathGlob, input: string) => {
    if (c.suffix && !input.endsWith(c.suffix)) return false
    if (c.prefix && !input.startsWith(c.prefix)) return false
    if (c.core && !input.includes(c.core)) return false
    return c.re.test(c.base ? input.slice(input.lastIndexOf('/') + 1) : input)
  }
  return {
    sources: patterns,
    test: (input) => {
      for (const c of compiled()) if (hit(c, input)) return true
      return false
    },
    find: (input) => compiled().find((c) => hit(c, input))?.source,
    compile: () => {
      compiled()
    },
  }
}
