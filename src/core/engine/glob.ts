import {picomatch} from '../lazy.js'
import {isNeedle, NeedleIndex} from './needles.js'
import {expandHome} from './paths.js'

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
  /** The text the glob is looked up by (see pickNeedle); '' when it has none. */
  readonly needle: string
  /** The one input the glob matches, when it has no wildcard. */
  readonly literal: string | undefined
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
  // the longest run with a case pair in it: a needle that the literal runs do not already offer
  let fold = ''
  for (let k = 0, run = '', paired = false; k <= kinds.length; k++) {
    const folded = k < kinds.length ? foldedChar(kinds[k] as number, codes[k] as number, classes[k]) : undefined
    if (folded !== undefined) {
      run += folded
      paired ||= kinds[k] === CLASS
    } else {
      if (run.length >= 3 && run !== run.toUpperCase()) foldRuns.push(run)
      if (paired && run.length > fold.length) fold = run
      run = ''
      paired = false
    }
  }
  const needsFold = foldRuns.length > 0 && classes.some((c) => c !== undefined)
  const needle = pickNeedle(prefix, suffix ? [...innerRuns, suffix] : innerRuns, fold)
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
  return {source: pattern, prefix, suffix, core, needle, literal: onlyLiteral ? prefix : undefined, test}
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 128) return false
  return true
}

/**
 * The literal text a glob is looked up by, lowercased: every input it matches contains it, ignoring ASCII case.
 * The longest run after the first (a set's globs tend to share their first words: `rm -r* /etc`, `rm -r* ~`), or
 * a run of case-pair classes (`[Ii][Ww][Rr] `); else the first run. '' when none is ASCII and three characters
 * long: such a glob is found by its ends instead.
 */
function pickNeedle(prefix: string, later: readonly string[], fold: string): string {
  let best = fold
  for (const r of later) if (r.length > best.length && isAscii(r)) best = r.toLowerCase()
  if (best.length < NEEDLE && isAscii(prefix) && prefix.length > best.length) best = prefix.toLowerCase()
  return best.length >= NEEDLE ? best : ''
}

const NEEDLE = 3

/**
 * The lowercase letter a token stands for when it is an ASCII letter or a case pair like [Pp]; undefined otherwise.
 * ASCII only: such a run is found by a scan that folds ASCII case alone (NeedleIndex).
 */
function foldedChar(kind: number, code: number, cls: CharClass | undefined): string | undefined {
  if (kind === LITERAL) {
    if (code >= 128) return undefined
    const ch = String.fromCharCode(code)
    return ch.toLowerCase() === ch.toUpperCase() ? (/[ ./_-]/.test(ch) ? ch : undefined) : ch.toLowerCase()
  }
  if (kind !== CLASS || !cls || cls.negated || cls.ranges.length > 0 || cls.singles.size !== 2) return undefined
  const [a, b] = [...cls.singles].map((c) => (c < 128 ? String.fromCharCode(c) : undefined))
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
  /** What every input this set can match has or contains (see GlobRoute); undefined when it could match anything. */
  route?(): GlobRoute | undefined
  /**
   * Routing keys (see routingKeysOf) such that every input this set can match has one of them; undefined when
   * some glob has no literal prefix or suffix of two characters, i.e. could match anything.
   */
  routingKeys?(): readonly number[] | undefined
  /**
   * Path sets: needles (lowercase ASCII, see isNeedle) such that every path this set matches contains one of them,
   * ignoring case; undefined when some glob has no literal text to route by.
   */
  pathNeedles?(): readonly string[] | undefined
}

/**
 * How a call reaches the globs that could match it. Every input the set matches is one of `exact`, or contains one
 * of `needles` ignoring case, or has one of `keys` (see routingKeysOf).
 */
export interface GlobRoute {
  exact: string[]
  /** Lowercase ASCII text of at least three characters. */
  needles: string[]
  keys: number[]
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
/** The first character alone, for globs whose literal prefix is one character (`$*`, `` `* ``). */
const FIRST_CHAR = 128 * 128
const WIDE_PAIR = FIRST_CHAR + 65536
const key1 = (text: string) => FIRST_CHAR + text.charCodeAt(0)

/**
 * Two characters as one number: Map lookups without allocating a substring per call. ASCII pairs (nearly all) are
 * small integers, which V8 hashes fastest; other pairs come after every ASCII pair and first-character key.
 */
const key2 = (text: string, at: number): number => {
  const a = text.charCodeAt(at)
  const b = text.charCodeAt(at + 1)
  return a < 128 && b < 128 ? a * 128 + b : WIDE_PAIR + a * 65536 + b
}

/** The keys an input can be routed by: its first two characters, and (negated) its last two. */
export function routingKeysOf(input: string): [number, number, number] | undefined {
  if (input.length < KEY) return undefined
  return [key2(input, 0), -1 - key2(input, input.length - KEY), key1(input)]
}

/**
 * A glob classified from its text alone and compiled the first time it is tested: a rule's set can hold a hundred
 * patterns of which a call only ever reaches the few it could match.
 */
interface LazyGlob {
  source: string
  prefix: string
  suffix: string
  /** the longest literal run */
  core: string
  /** see pickNeedle */
  needle: string
  /** see CommandGlob.literal */
  literal: string | undefined
  test(input: string): boolean
}

function lazyGlob(source: string): LazyGlob {
  let compiled: CommandGlob | undefined
  const {prefix, suffix} = literalEnds(source)
  let core: string
  let needle: string
  let literal: string | undefined
  // patterns with classes or escapes are compiled now, as only the compiled glob knows their literal runs
  if (/[[\\]/.test(source)) {
    compiled = compileCommandGlob(source)
    ;({core, needle, literal} = compiled)
  } else {
    const runs = source.split(/[*?]+/)
    core = runs.reduce((a, b) => (b.length > a.length ? b : a), '')
    needle = pickNeedle(prefix, runs.slice(1).filter((r) => r !== ''), '')
    literal = runs.length === 1 ? source : undefined
  }
  return {source, prefix, suffix, core, needle, literal, test: (input) => (compiled ??= compileCommandGlob(source)).test(input)}
}

/**
 * Routing for one glob: the one input it matches, when it has no wildcard; else its needle (more selective than
 * two characters at either end: `* >> ~/.bashrc` needs ` >> ~/.bashrc`, not just a final `rc`); else the key of a
 * literal end; undefined when it has none of them.
 */
function globRoute(g: LazyGlob): {exact: string} | {needle: string} | {key: number} | undefined {
  if (g.literal !== undefined) return {exact: g.literal}
  if (g.needle) return {needle: g.needle}
  const key = endKey(g)
  return key === undefined ? undefined : {key}
}

/** The routing key of a glob's literal end (see routingKeysOf): its suffix, else its prefix, else its first character. */
function endKey(g: LazyGlob): number | undefined {
  if (g.suffix.length >= KEY) return -1 - key2(g.suffix, g.suffix.length - KEY)
  if (g.prefix.length >= KEY) return key2(g.prefix, 0)
  if (g.prefix.length === 1) return key1(g.prefix)
  return undefined
}

/** NeedleIndex visitor: whether one of the globs matches the input. */
function anyMatches(globs: readonly LazyGlob[], input: string): boolean {
  for (const g of globs) if (g.test(input)) return true
  return false
}

/**
 * Compiled on first use (a call only pays for the rules of the tools it reaches), and indexed so that an input is
 * only compared with the globs that could match it: globs are bucketed by the last two characters of their literal
 * suffix, else looked up by their needle (one scan of the input finds every needle it contains), else bucketed by
 * their literal prefix.
 */
export function compileCommandGlobSet(patterns: readonly string[]): GlobSet {
  // a set this small is cheaper to test glob by glob (each rejects on its literal ends) than to look up
  const SMALL_SET = 8
  interface Index {
    all: LazyGlob[]
    bySuffix: Map<number, LazyGlob[]>
    needles: NeedleIndex<LazyGlob>
    byPrefix: Map<number, LazyGlob[]>
    byFirst: Map<number, LazyGlob[]>
    /** no literal end and no needle: compared with every input */
    rest: LazyGlob[]
    matchAll: boolean
  }
  let globs: LazyGlob[] | undefined
  let index: Index | undefined
  const all = () => (globs ??= patterns.map(lazyGlob))
  const push = (map: Map<number, LazyGlob[]>, key: number, g: LazyGlob) => {
    const list = map.get(key)
    if (list) list.push(g)
    else map.set(key, [g])
  }
  const build = (): Index => {
    const ix: Index = {all: all(), bySuffix: new Map(), needles: new NeedleIndex(), byPrefix: new Map(), byFirst: new Map(), rest: [], matchAll: patterns.some((p) => p.length > 0 && /^\*+$/.test(p))}
    for (const g of ix.all) {
      // an exact end discriminates best (`rm -r* /etc`, `rm -r* ~`), then a needle inside, then a shared prefix
      if (g.suffix.length >= KEY) push(ix.bySuffix, key2(g.suffix, g.suffix.length - KEY), g)
      else if (g.needle) ix.needles.add(g.needle, g)
      else if (g.prefix.length >= KEY) push(ix.byPrefix, key2(g.prefix, 0), g)
      else if (g.prefix.length === 1) push(ix.byFirst, key1(g.prefix), g)
      else ix.rest.push(g)
    }
    index = ix
    return ix
  }
  const test = (input: string): boolean => {
    const ix = index ?? build()
    if (ix.matchAll) return true
    if (input.length < KEY || ix.all.length <= SMALL_SET) return anyMatches(ix.all, input)
    const tail = ix.bySuffix.get(key2(input, input.length - KEY))
    if (tail && anyMatches(tail, input)) return true
    if (ix.needles.forEachIn(input, anyMatches)) return true
    const head = ix.byPrefix.get(key2(input, 0))
    if (head && anyMatches(head, input)) return true
    const first = ix.byFirst.get(key1(input))
    if (first && anyMatches(first, input)) return true
    return anyMatches(ix.rest, input)
  }
  // explanations name the first matching glob in a fixed order: those with a literal prefix, then suffix, then
  // first character, in the order written (for inputs of one character: all of those in the order written)
  let order: {long: LazyGlob[]; short: LazyGlob[]} | undefined
  const explainOrder = () => {
    if (order) return order
    const rank = (g: LazyGlob) => (g.suffix.length >= KEY ? 1 : g.prefix.length >= KEY ? 0 : g.prefix.length === 1 ? 2 : g.suffix.length > 0 || g.core === '' ? 3 : 4)
    const long = [...all()].sort((a, b) => rank(a) - rank(b))
    const short = [...all()].sort((a, b) => Math.max(rank(a), 2) - Math.max(rank(b), 2))
    order = {long, short}
    return order
  }
  return {
    sources: patterns,
    test,
    find: (input) => ((input.length >= KEY ? explainOrder().long : explainOrder().short).find((g) => g.test(input)))?.source,
    compile: () => {
      for (const g of (index ?? build()).all) g.test('')
    },
    // from the pattern text (compiling only patterns with classes or escapes): a rule routed away never pays for
    // its globs
    route: () => {
      const out: GlobRoute = {exact: [], needles: [], keys: []}
      for (const g of all()) {
        const r = globRoute(g)
        if (!r) return undefined
        if ('exact' in r) out.exact.push(r.exact)
        else if ('needle' in r) out.needles.push(r.needle)
        else out.keys.push(r.key)
      }
      return out
    },
    routingKeys: () => {
      const keys: number[] = []
      for (const g of all()) {
        const key = endKey(g)
        if (key === undefined) return undefined
        keys.push(key)
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
  let p = expandHome(pattern.replace(/\\/g, '/'), home)
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

/**
 * input.startsWith(prefix, at), comparing from the end: path prefixes share their start with most paths (the
 * home folder holds the project), so a mismatch shows in the last characters.
 */
function startsWithAt(input: string, prefix: string, at: number): boolean {
  if (input.length - at < prefix.length) return false
  for (let i = prefix.length - 1; i >= 0; i--) if (input.charCodeAt(at + i) !== prefix.charCodeAt(i)) return false
  return true
}

export function compilePathGlobSet(patterns: readonly string[], options: PathGlobOptions): GlobSet {
  // picomatch's RegExp used directly (its matcher function re-normalises the input on every call), behind literal
  // checks that reject most paths without running the regex; globs with a literal suffix are bucketed by its last
  // two characters, so a path is only compared with those that end the way it does
  interface PathGlob {source: string; re: RegExp; base: boolean; prefix: string; suffix: string; core: string}
  interface Index {all: PathGlob[]; bySuffix: Map<number, PathGlob[]>; rest: PathGlob[]}
  let index: Index | undefined
  const nocase = options.caseInsensitive ?? false
  const compiled = (): Index => {
    if (index) return index
    const all = patterns.map((source): PathGlob => {
      const normalised = normalisePathPattern(source, options.home)
      const base = !normalised.includes('/')
      const lit = nocase ? {prefix: '', suffix: '', core: ''} : pathLiterals(normalised)
      // a slash-less pattern is matched against the file name: its prefix is where the name starts
      return {source, base, re: picomatch().makeRe(normalised, {dot: true, nocase}), prefix: lit.prefix, suffix: lit.suffix, core: lit.core}
    })
    const ix: Index = {all, bySuffix: new Map(), rest: []}
    for (const g of all) {
      if (g.suffix.length < KEY) {
        ix.rest.push(g)
        continue
      }
      const key = key2(g.suffix, g.suffix.length - KEY)
      const list = ix.bySuffix.get(key)
      if (list) list.push(g)
      else ix.bySuffix.set(key, [g])
    }
    index = ix
    return ix
  }
  const hit = (c: PathGlob, input: string) => {
    if (c.suffix && !input.endsWith(c.suffix)) return false
    const name = c.base ? input.lastIndexOf('/') + 1 : 0
    if (c.prefix && !startsWithAt(input, c.prefix, name)) return false
    if (c.core && !input.includes(c.core)) return false
    return c.re.test(name > 0 ? input.slice(name) : input)
  }
  return {
    sources: patterns,
    test: (input) => {
      const ix = compiled()
      if (input.length < KEY) return ix.all.some((c) => hit(c, input))
      const ending = ix.bySuffix.get(key2(input, input.length - KEY))
      if (ending) for (const c of ending) if (hit(c, input)) return true
      for (const c of ix.rest) if (hit(c, input)) return true
      return false
    },
    // in the order written, for explanations
    find: (input) => compiled().all.find((c) => hit(c, input))?.source,
    compile: () => {
      compiled()
    },
    pathNeedles: () => {
      if (nocase) return undefined
      const needles: string[] = []
      for (const source of patterns) {
        const needle = pathNeedle(normalisePathPattern(source, options.home), options.home)
        if (needle === undefined) return undefined
        needles.push(needle)
      }
      return needles
    },
  }
}

/**
 * The text every path a glob matches must contain: the longest of its literal prefix, suffix and core (pathLiterals),
 * lowercased (the scan ignores case, so this only widens). Text under the home folder counts from the home
 * folder's end: every path of a project there shares the home part, which would make the needle select nothing.
 */
function pathNeedle(normalised: string, home: string): string | undefined {
  const lit = pathLiterals(normalised)
  const homeDir = home.endsWith('/') ? home : `${home}/`
  let best = ''
  for (let text of [lit.suffix, lit.core, lit.prefix]) {
    if (home.length > 1 && text.startsWith(homeDir)) text = text.slice(homeDir.length - 1)
    if (text.length > best.length) best = text
  }
  // ASCII only: some other characters lowercase to ASCII letters (the Kelvin sign to k), which the scan would not
  if (!/^[\x20-\x7e]*$/.test(best)) return undefined
  const needle = best.toLowerCase()
  return needle.length >= 3 && isNeedle(needle) ? needle : undefined
}
