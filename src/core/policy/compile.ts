import {PolicyError, type SourcePos} from '../errors.js'
import {parseDuration} from '../duration.js'
import {re2js} from '../lazy.js'
import {compileCommandGlobSet, compilePathGlobSet, countGlobstars, literalAlternation, type GlobSet} from '../engine/glob.js'
import type {ParsedFile} from './parse.js'
import type {Action, ActionName, PolicyFileDoc, RuleDoc, WhenDoc} from './types.js'

/** Where a policy came from; decides how much it may loosen (policy.md §1). */
export type Layer = 'builtin' | 'config' | 'global' | 'override' | 'project'

export interface RegexMatcher {
  source: string
  test(input: string): boolean
}

/** Every field is present (undefined when not written), so that all rules share one object shape. */
export interface CompiledWhen {
  /** `default: true`, or no conditions at all (an empty / absent `when`). */
  always: boolean
  /** Only negative fields: such a rule never matches (negatives narrow a positive field). */
  never: boolean
  command: GlobSet | undefined
  /**
   * command_matches split by what a pattern describes: one command (compared with each command of a compound
   * command), or several joined by && || ; | (compared with the whole command and its pipelines too).
   */
  commandSingle: GlobSet | undefined
  commandSpan: GlobSet | undefined
  commandNot: GlobSet | undefined
  contains: string[] | undefined
  /** All of `contains` in one case-insensitive scan. */
  containsFilter: RegExp | undefined
  envAssignments: GlobSet | undefined
  path: GlobSet | undefined
  pathNot: GlobSet | undefined
  url: GlobSet | undefined
  domain: GlobSet | undefined
  session: GlobSet | undefined
  sessionNot: GlobSet | undefined
  response: RegexMatcher[] | undefined
  responseNot: RegexMatcher[] | undefined
  callCount: {tool?: string; gte: number; windowMs: number} | undefined
  params: Array<[string, GlobSet]> | undefined
  depth: {gte?: number; lte?: number; eq?: number} | undefined
}

/** True when command_matches (with command_not_matches) is the rule's only condition: routing and shadow analysis rely on it. */
export function onlyCommandCondition(w: CompiledWhen): boolean {
  return w.command !== undefined && !w.always && !w.never && !w.contains && !w.envAssignments && !w.path && !w.pathNot && !w.url &&
    !w.domain && !w.session && !w.sessionNot && !w.response && !w.responseNot && !w.callCount && !w.params && !w.depth
}

export interface CompiledRule {
  /** 1-based position in its policy: rule 1 is the first rule. */
  index: number
  /** The action as written (aliases kept, for lint and explain). */
  declared: ActionName
  /** What the rule decides: aliases resolved, webhook → deny outside `rampart serve`. */
  action: Action
  message: string | undefined
  audit: boolean
  headlessOnly: boolean
  expiresAt: number | undefined
  once: boolean
  webhook: {url: string; timeoutMs: number; failOpen: boolean} | undefined
  pos: SourcePos
  when: CompiledWhen
  /** Engine bookkeeping, declared here so every rule object has the same shape (see engine/evaluate.ts). */
  route: RuleRoute | null | undefined
  /** Needles of a rule routed by its path globs instead (engine/evaluate.ts pathRouteOf); null: not so routed. */
  pathRoute: readonly string[] | null | undefined
  candidateOf: number
}

/** The text a call's command needs for the rule to possibly match (engine/evaluate.ts routeOf). */
export interface RuleRoute {
  /** whole spellings that globs without a wildcard match */
  exact: readonly string[]
  /** lowercase ASCII text that globs, and command_contains, need */
  needles: readonly string[]
  /** routing keys of the other globs (engine/glob.ts routingKeysOf) */
  keys: readonly number[]
  /**
   * For a rule whose only condition is command_matches, every glob of which has a literal end: their routing keys.
   * A call with none of them is no near miss of the rule for `rampart test --coverage` (TraceEvent routedAway).
   */
  ends: ReadonlySet<number> | null
}

export interface CompiledPolicy {
  name: string
  description: string | undefined
  priority: number
  enabled: boolean
  layer: Layer
  file: string
  pos: SourcePos
  /** Load order across all layers, for a stable sort. */
  order: number
  match: {tool: GlobSet | undefined; agent: GlobSet | undefined; session: GlobSet | undefined}
  rules: CompiledRule[]
  /** Set when this (global) policy replaced a built-in policy of the same name. */
  replaces?: string
}

export interface CompiledFile {
  file: string
  layer: Layer
  defaultAction: Action | undefined
  policies: CompiledPolicy[]
  parsed: ParsedFile
}

export interface CompileOptions {
  layer: Layer
  home: string
  caseInsensitivePaths: boolean
  /** First value for CompiledPolicy.order. */
  orderStart: number
  /** Validated at build time (a shipped profile's snapshot): regexes are compiled on first use, not now. */
  trusted?: boolean
  /**
   * A trusted file in a one-shot process: each rule's conditions are compiled the first time something reads them.
   * A dry run or hook call visits only the few rules its call can reach (routes come with the snapshot), so the
   * rest are never compiled. Long-running processes compile everything (eager) and keep plain data properties.
   */
  lazyWhen?: boolean
  /**
   * Receives each load problem with its lint id. Default: throw the first one (loading is all or nothing).
   * The linter passes a collector, so it sees every problem while the rest of the file still compiles.
   */
  onProblem?: (problem: PolicyError, id: LintId) => void
}

/** Stable ids of the problems compile finds (the linter's, see src/core/lint). */
export type LintId = 'RAM004' | 'RAM006' | 'RAM007' | 'RAM008' | 'RAM013'

function problem(options: CompileOptions, error: PolicyError, id: LintId): void {
  if (!options.onProblem) throw error
  options.onProblem(error, id)
}

const ALIAS: Record<ActionName, Action> = {
  allow: 'allow', deny: 'deny', watch: 'watch', log: 'watch', ask: 'ask', require_approval: 'ask', webhook: 'deny',
}

export function toAction(name: ActionName | 'log'): Action {
  return ALIAS[name]
}

const WINDOW_UNITS: Record<string, number> = {s: 1000, m: 60_000, h: 3_600_000}

export function compileFile(parsed: ParsedFile, options: CompileOptions): CompiledFile {
  const doc: PolicyFileDoc = parsed.doc
  const seen = new Map<string, number>()
  const policies: CompiledPolicy[] = []
  let order = options.orderStart
  for (const [pi, p] of (doc.policies ?? []).entries()) {
    const previous = seen.get(p.name)
    if (previous !== undefined) {
      const first = parsed.locate(['policies', previous, 'name'])
      problem(options, new PolicyError(parsed.locate(['policies', pi, 'name']), `duplicate policy name '${p.name}' (first defined at line ${first.line})`,
        'give each policy a unique name'), 'RAM004')
    }
    seen.set(p.name, pi)
    const match: CompiledPolicy['match'] = {tool: undefined, agent: undefined, session: undefined}
    for (const key of ['tool', 'agent', 'session'] as const) {
      const value = p.match?.[key]
      if (value === undefined) continue
      const list = Array.isArray(value) ? value : [value]
      list.forEach((g, gi) => checkGlob(g, parsed, ['policies', pi, 'match', key, ...(Array.isArray(value) ? [gi] : [])], options))
      if (list.length > 0 && !list.includes('*')) match[key] = compileCommandGlobSet(list)
    }
    const rules = (p.rules ?? []).map((r, ri) => compileRule(r, parsed, ['policies', pi, 'rules', ri], ri + 1, options))
    policies.push({
      name: p.name,
      description: p.description,
      priority: p.priority ?? 100,
      enabled: p.enabled ?? true,
      layer: options.layer,
      file: parsed.file,
      pos: parsed.locate(['policies', pi]),
      order: order++,
      match,
      rules,
    })
  }
  return {
    file: parsed.file,
    layer: options.layer,
    defaultAction: doc.default_action === undefined ? undefined : toAction(doc.default_action),
    policies,
    parsed,
  }
}

function compileRule(rule: RuleDoc, parsed: ParsedFile, path: (string | number)[], index: number, options: CompileOptions): CompiledRule {
  let expiresAt: number | undefined
  if (rule.expires_at !== undefined) {
    expiresAt = Date.parse(rule.expires_at)
    if (Number.isNaN(expiresAt) || !/^\d{4}-\d{2}-\d{2}/.test(rule.expires_at)) {
      problem(options, new PolicyError(parsed.locate([...path, 'expires_at']), `invalid timestamp ${JSON.stringify(rule.expires_at)} for expires_at`,
        'write an RFC 3339 time such as 2026-12-31T23:59:59Z'), 'RAM013')
      expiresAt = undefined
    }
  }
  const timeout = rule.webhook?.timeout
  const whenPath = [...path, 'when']
  const compiled: CompiledRule = {
    index,
    declared: rule.action,
    action: toAction(rule.action),
    message: rule.message,
    audit: rule.ask?.audit ?? rule.action === 'require_approval',
    headlessOnly: rule.ask?.headless_only ?? false,
    expiresAt,
    once: rule.once ?? false,
    webhook: rule.webhook ? {
      url: rule.webhook.url,
      timeoutMs: typeof timeout === 'number' ? timeout * 1000 : timeout ? (parseDuration(timeout) ?? 0) : 5000,
      failOpen: rule.webhook.fail_open ?? false,
    } : undefined,
    pos: parsed.locate(path),
    when: options.lazyWhen ? (undefined as unknown as CompiledWhen) : compileWhen(rule.when ?? {}, parsed, whenPath, options),
    route: precomputedRoute(parsed, path),
    pathRoute: undefined,
    candidateOf: 0,
  }
  if (options.lazyWhen) {
    Object.defineProperty(compiled, 'when', {
      configurable: true, enumerable: true,
      get(): CompiledWhen {
        const when = compileWhen(rule.when ?? {}, parsed, whenPath, options)
        Object.defineProperty(compiled, 'when', {value: when, writable: true, enumerable: true, configurable: true})
        return when
      },
    })
  }
  return compiled
}

/** The build's route for this rule (snapshots of shipped profiles), else undefined: worked out on first use. */
function precomputedRoute(parsed: ParsedFile, path: readonly (string | number)[]): RuleRoute | null | undefined {
  const [, pi, , ri] = path
  if (!parsed.routes || typeof pi !== 'number' || typeof ri !== 'number') return undefined
  const r = parsed.routes[pi]?.[ri]
  if (r === undefined) return undefined
  return r === null ? null : {exact: r.exact, needles: r.needles, keys: r.keys, ends: r.ends ? new Set(r.ends) : null}
}

const POSITIVE: ReadonlyArray<keyof WhenDoc> = [
  'command_matches', 'command_contains', 'command_env_assignments', 'path_matches', 'url_matches', 'domain_matches',
  'session_matches', 'response_matches', 'call_count', 'tool_param_matches', 'agent_depth',
]
const NEGATIVE: ReadonlyArray<keyof WhenDoc> = ['command_not_matches', 'path_not_matches', 'session_not_matches', 'response_not_matches']

const NO_CONDITIONS = {
  command: undefined, commandSingle: undefined, commandSpan: undefined, commandNot: undefined, contains: undefined,
  containsFilter: undefined, envAssignments: undefined, path: undefined, pathNot: undefined, url: undefined, domain: undefined,
  session: undefined, sessionNot: undefined, response: undefined, responseNot: undefined, callCount: undefined,
  params: undefined, depth: undefined,
} as const satisfies Omit<CompiledWhen, 'always' | 'never'>

function compileWhen(when: WhenDoc, parsed: ParsedFile, path: (string | number)[], options: CompileOptions): CompiledWhen {
  const hasPositive = POSITIVE.some((k) => when[k] !== undefined)
  const hasNegative = NEGATIVE.some((k) => when[k] !== undefined)
  const out: CompiledWhen = {
    // as in the reference: `default: true` is a catch-all that ignores the other fields
    always: when.default === true || (!hasPositive && !hasNegative),
    never: !hasPositive && hasNegative && when.default !== true,
    ...NO_CONDITIONS,
  }
  const commandGlobs = (key: keyof WhenDoc): GlobSet | undefined => {
    const list = when[key] as string[] | undefined
    if (!list) return undefined
    list.forEach((g, i) => checkGlob(g, parsed, [...path, key, i], options))
    return compileCommandGlobSet(list)
  }
  const pathGlobs = (key: 'path_matches' | 'path_not_matches'): GlobSet | undefined => {
    const list = when[key]
    if (!list) return undefined
    list.forEach((g, i) => checkGlob(g, parsed, [...path, key, i], options))
    return compilePathGlobSet(list, {home: options.home, caseInsensitive: options.caseInsensitivePaths})
  }
  const regexes = (key: 'response_matches' | 'response_not_matches'): RegexMatcher[] | undefined =>
    when[key]?.map((source, i) => compileRegex(source, parsed, [...path, key, i], options.trusted === true, options))

  const set = <K extends keyof CompiledWhen>(key: K, value: CompiledWhen[K] | undefined) => {
    if (value !== undefined) out[key] = value
  }
  set('command', commandGlobs('command_matches'))
  if (when.command_matches) {
    const spans = (g: string) => /&&|\|\||;|\|/.test(g)
    const single = when.command_matches.filter((g) => !spans(g))
    const span = when.command_matches.filter(spans)
    if (single.length > 0) out.commandSingle = compileCommandGlobSet(single)
    if (span.length > 0) out.commandSpan = compileCommandGlobSet(span)
  }
  set('commandNot', commandGlobs('command_not_matches'))
  set('contains', when.command_contains?.map((s) => s.toLowerCase()))
  if (out.contains) out.containsFilter = literalAlternation(out.contains, 'i')
  set('envAssignments', commandGlobs('command_env_assignments'))
  set('path', pathGlobs('path_matches'))
  set('pathNot', pathGlobs('path_not_matches'))
  set('url', commandGlobs('url_matches'))
  if (when.domain_matches) {
    when.domain_matches.forEach((g, i) => checkGlob(g, parsed, [...path, 'domain_matches', i], options))
    out.domain = compileCommandGlobSet(when.domain_matches.map((d) => d.toLowerCase()))
  }
  set('session', commandGlobs('session_matches'))
  set('sessionNot', commandGlobs('session_not_matches'))
  set('response', regexes('response_matches'))
  set('responseNot', regexes('response_not_matches'))
  if (when.call_count) {
    const w = /^(\d+)([smh])$/.exec(when.call_count.window)
    const windowMs = w ? Number(w[1]) * (WINDOW_UNITS[w[2] as string] ?? 1000) : 60_000
    out.callCount = {gte: when.call_count.gte, windowMs, ...(when.call_count.tool ? {tool: when.call_count.tool} : {})}
  }
  if (when.tool_param_matches) {
    out.params = Object.entries(when.tool_param_matches).map(([name, glob]) => {
      checkGlob(glob, parsed, [...path, 'tool_param_matches', name], options)
      return [name, compileCommandGlobSet([glob.toLowerCase()])]
    })
  }
  if (when.agent_depth) out.depth = {...when.agent_depth}
  return out
}

function checkGlob(glob: string, parsed: ParsedFile, path: (string | number)[], options: CompileOptions): void {
  if (parsed.trusted) return // checked when the build made the snapshot
  if (countGlobstars(glob) > 2) {
    problem(options, new PolicyError(parsed.locate(path), `the pattern ${JSON.stringify(glob)} has more than two '**'`,
      'use at most two ** per pattern (split it into several patterns)'), 'RAM006')
  }
}

const NEVER: RegexMatcher['test'] = () => false

function compileRegex(source: string, parsed: ParsedFile, path: (string | number)[], lazy: boolean, options: CompileOptions): RegexMatcher {
  if (lazy) {
    let compiled: RegexMatcher | undefined
    return {source, test: (input) => (compiled ??= compileRegex(source, parsed, path, false, options)).test(input)}
  }
  const nested = findNestedQuantifier(source)
  if (nested !== undefined) {
    problem(options, new PolicyError(parsed.locate(path), `the regular expression ${JSON.stringify(source)} nests a repeated group inside a repetition (at character ${nested + 1}), which is catastrophic in backtracking engines`,
      'rewrite it without the outer repetition, e.g. (ab)+ instead of (a+b+)+'), 'RAM008')
    return {source, test: NEVER}
  }
  let re: import('re2js').RE2JS
  try {
    re = re2js().RE2JS.compile(source)
  } catch (error) {
    problem(options, new PolicyError(parsed.locate(path), `invalid regular expression ${JSON.stringify(source)}: ${(error as Error).message}`,
      'use RE2 syntax (no look-around or back-references); escape literal ( ) [ ] { } . * + ? with a backslash'), 'RAM007')
    return {source, test: NEVER}
  }
  return {source, test: (input) => re.matcher(input).find()}
}

/**
 * Index of the quantifier that repeats a group which itself contains an unbounded quantifier (`(a+)+`, `(x*y)*`,
 * `(a+){2,}`), else undefined. RE2 stays linear either way, but such a pattern is a bug or an attack in every
 * other engine that will read the same policy (the reference tool's, editors', CI linters').
 */
export function findNestedQuantifier(source: string): number | undefined {
  const stack: boolean[] = []
  let lastGroupHadQuantifier = false
  let inClass = false
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]
    if (ch === '\\') {
      i++
      lastGroupHadQuantifier = false
      continue
    }
    if (inClass) {
      if (ch === ']') inClass = false
      continue
    }
    if (ch === '[') {
      inClass = true
      lastGroupHadQuantifier = false
      continue
    }
    if (ch === '(') {
      stack.push(false)
      lastGroupHadQuantifier = false
      continue
    }
    if (ch === ')') {
      lastGroupHadQuantifier = stack.pop() ?? false
      if (lastGroupHadQuantifier && stack.length > 0) stack[stack.length - 1] = true
      continue
    }
    const unbounded = ch === '*' || ch === '+' || (ch === '{' && /^\{\d+,\}/.test(source.slice(i, i + 12)))
    if (unbounded) {
      if (source[i - 1] === ')' && lastGroupHadQuantifier) return i
      if (stack.length > 0) stack[stack.length - 1] = true
    }
    lastGroupHadQuantifier = false
  }
  return undefined
}
