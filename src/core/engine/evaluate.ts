import {posix} from 'node:path'

import {onlyCommandCondition, type CompiledFile, type CompiledPolicy, type CompiledRule, type CompiledWhen, type Layer, type RuleRoute} from '../policy/compile.js'
import type {PolicySet} from '../policy/load.js'
import type {SnapshotRoutes} from '../policy/parse.js'
import type {Action} from '../policy/types.js'
import {normalisePath, resolveSymlinks} from './paths.js'
import {routingKeysOf} from './glob.js'
import {isNeedle, NeedleIndex} from './needles.js'
import {pipelineSpellings} from './pipelines.js'
import {analyzeCommand, type CommandAnalysis} from './shell.js'
import {suggestAllow} from './suggest.js'

/** Longest command, path, URL or other matched field that is analysed; longer ones are denied (policy.md §4). */
export const MAX_FIELD_BYTES = 8192
/** Tool output scanned by response_matches: RE2 stays linear, so it may be larger than the other fields. */
export const MAX_RESPONSE_BYTES = 1024 * 1024

/** One tool call an agent wants to make (or, with `response`, has made). */
export interface ToolCall {
  /** exec | read | write | edit | fetch, or any other tool name */
  tool: string
  command?: string | undefined
  path?: string | undefined
  url?: string | undefined
  /** Every named parameter of the call, for tool_param_matches. */
  params?: Record<string, unknown> | undefined
  agent?: string | undefined
  session?: string | undefined
  cwd?: string | undefined
  /** The tool's output, for post-tool evaluation with response_matches. */
  response?: string | undefined
  agentDepth?: number | undefined
}

/** Past real calls, for call_count. Dry runs pass none. */
export interface CallHistory {
  count(tool: string, sinceMs: number): number
}

/** Single-use allow rules already spent. */
export interface OnceLedger {
  isConsumed(key: string): boolean
}

export interface EvaluateOptions {
  /** An `ask` with headless_only becomes deny. */
  headless?: boolean
  now?: number
  history?: CallHistory
  once?: OnceLedger
  /** Collect what evaluation did, step by step (rampart policy explain, rule coverage). */
  trace?: TraceEvent[]
  /**
   * Rules treated as not matching (rampart serve: a webhook rule whose URL answered allow, so that the rest of the
   * policy still decides — the webhook can clear its own rule, never another one).
   */
  skipRules?: ReadonlySet<CompiledRule>
}

/** One step of an evaluation, in the order it happened (policies in priority order). */
export type TraceEvent =
  | {kind: 'out-of-scope'; policy: CompiledPolicy; why: string}
  | {kind: 'rule'; policy: CompiledPolicy; rule: CompiledRule; outcome: 'matched' | 'no-match' | 'expired' | 'spent'; routedAway: boolean}
  | {kind: 'stopped'; after: CompiledPolicy}
  | {kind: 'not-reached'; policy: CompiledPolicy}

export interface MatchedRule {
  policy: string
  /** 1-based index of the rule in its policy */
  rule: number
  action: Action
  file: string
  line: number
  layer: Layer
  /** false for a project allow, which never loosens anything (policy.md §1) */
  effective: boolean
}

export interface Decision {
  action: Action
  message: string
  /** The rule that decided, or null when the default action applied. */
  decided_by: MatchedRule | null
  matched_policies: string[]
  matched_rules: MatchedRule[]
  headless_only: boolean
  audit: boolean
  from_project: boolean
  suggestions: string[]
  session: string
  /** Set when the deciding rule is a single-use allow: the key to consume for a real call. */
  once_key?: string
  /** Set when the deciding rule is `action: webhook` (decided as deny outside `rampart serve`). */
  webhook?: {url: string; timeoutMs: number; failOpen: boolean}
  /** That rule, so that rampart serve can take it out and let the rest of the policy decide. */
  webhook_rule?: CompiledRule
  /** Why something did not count (project allows, overrides), for explain and test output. */
  notes: string[]
  eval_us: number
}

/** How restrictive an action is: the most restrictive of several decisions wins; a move to a lower rank loosens. */
export const RANK: Record<Action, number> = {allow: 0, watch: 1, ask: 2, deny: 3}

export function onceKey(policy: CompiledPolicy, rule: CompiledRule): string {
  return `${policy.file}#${policy.name}#${rule.index}`
}

/**
 * Shell analysis is a pure function of the command text and agents repeat commands constantly (`git status`,
 * `npm test`), so a long-running process (rampart serve, a test run) keeps the latest analyses, with the spellings
 * derived from them. Bounded; an entry's fields, once set, never change. Paths get no such cache: a stale symlink
 * resolution would be a bypass.
 */
const ANALYSIS_MEMO_SIZE = 2048
const analysisMemo = new Map<string, CommandFacts>()
let memoEnabled = true

/** For benchmarks and tests: measure or check the engine without the analysis memo. */
export function setAnalysisMemo(enabled: boolean): void {
  memoEnabled = enabled
  analysisMemo.clear()
}

interface CommandFacts {
  analysis: CommandAnalysis
  /** Derived when a rule first compares the command (not for a command that fails closed). */
  spellings: Spellings | undefined
}

interface Spellings {
  /** Every spelling a restrictive rule compares: the whole command (raw, normalised, without sudo) and each
   *  component's forms, deduplicated. */
  restrictive: string[]
  /** The spellings of each single command (component forms). */
  components: string[]
  /** Routing keys of every spelling, or null when some spelling is too short to route (then no rule is skipped). */
  keys: number[] | null
  /**
   * The restrictive spellings lowercased (as command_contains compares them), searched for the needles of rules;
   * without those that another one contains, which holds every needle they hold.
   */
  lowered: string[]
}

function analyzeMemo(command: string): CommandFacts {
  if (!memoEnabled) return {analysis: analyzeCommand(command), spellings: undefined}
  let facts = analysisMemo.get(command)
  if (facts === undefined) {
    facts = {analysis: analyzeCommand(command), spellings: undefined}
    if (analysisMemo.size >= ANALYSIS_MEMO_SIZE) analysisMemo.clear()
    analysisMemo.set(command, facts)
  }
  return facts
}

function spell(command: string, a: CommandAnalysis): Spellings {
  const withDots = (forms: Iterable<string>): Set<string> => {
    const seen = new Set<string>(forms)
    // paths with . and .. segments resolved: `rm -rf /var/tmp/../..` is `rm -rf /`
    for (const form of [...seen]) {
      if (form.includes('/.')) {
        const resolved = resolveDotSegments(form)
        if (resolved !== form) seen.add(resolved)
      }
    }
    return seen
  }
  const components = withDots(a.components.flatMap((c) => c.forms))
  const whole = [command, a.normalized, a.unprivileged]
  // pipelines inside lists and substitutions (`curl x | sh; true`, `echo "$(curl x | sh)"`)
  if (a.components.length > 1) whole.push(...pipelineSpellings(a.normalized))
  const restrictive = [...withDots([...whole, ...components])]
  let keys: number[] | null = []
  for (const form of restrictive) {
    const k = routingKeysOf(form)
    if (!k) {
      keys = null
      break
    }
    keys.push(k[0], k[1], k[2])
  }
  return {restrictive, components: [...components], keys, lowered: outermost(restrictive.map((f) => f.toLowerCase()))}
}

/** The texts no other one contains (when there are few: the comparison is quadratic). */
function outermost(texts: string[]): string[] {
  if (texts.length < 2 || texts.length > 32) return texts
  return texts.filter((t, i) => !texts.some((u, j) => j !== i && u.includes(t) && (u !== t || j < i)))
}

/** Everything about a call that rules compare against, computed at most once and only when a rule needs it. */
export class Subject {
  readonly call: ToolCall
  readonly session: string
  private readonly set: PolicySet
  private factsCache: CommandFacts | undefined
  private pathCache: string | undefined
  /** null: resolved, and no different from the path */
  private realPathCache: string | null | undefined
  private hostCache: string | null | undefined

  constructor(call: ToolCall, set: PolicySet) {
    this.call = call
    this.set = set
    this.session = call.session ?? ''
  }

  private get facts(): CommandFacts {
    this.factsCache ??= analyzeMemo(this.call.command ?? '')
    return this.factsCache
  }

  get analysis(): CommandAnalysis {
    return this.facts.analysis
  }

  get spellings(): Spellings {
    const facts = this.facts
    facts.spellings ??= spell(this.call.command ?? '', facts.analysis)
    return facts.spellings
  }

  /** Every spelling a restrictive rule compares. */
  get restrictive(): string[] {
    return this.spellings.restrictive
  }

  /**
   * The spellings of each single command (component forms). For a compound command a pattern that describes
   * one command is compared only with these: compared with the whole text, its `*` would reach across `&&`
   * (`rm -r* ..` would deny `rm -rf dist && cd ..`).
   */
  get componentSpellings(): string[] {
    return this.spellings.components
  }

  /** More than one command: whole spellings are then only for patterns that span commands. */
  get compound(): boolean {
    return this.analysis.components.length > 1
  }

  /** The path as rules see it (normalisePath): no disk access. */
  get path(): string {
    this.pathCache ??= normalisePath(this.call.path ?? '', this.call.cwd ?? process.cwd(), this.set.home)
    return this.pathCache
  }

  /**
   * The path with symlinks resolved, when that differs. Looked up on first use, so a call that the literal path
   * already denies makes no system call.
   */
  get realPath(): string | undefined {
    if (this.realPathCache === undefined) this.realPathCache = resolveSymlinks(this.path) ?? null
    return this.realPathCache ?? undefined
  }

  /** Set when a rule's path condition looked at the call's path (routing alone does not count). */
  pathLooked = false

  /** Resolves the symlinks of a path some rule has looked at, if no rule needed to yet. */
  settlePath(): void {
    if (this.pathLooked) void this.realPath
  }

  /**
   * The path and its symlink target for routing, or undefined when the target cannot be looked up (a folder on the
   * way is a file, no permission): then routing cannot narrow, and the rules that need the target fail closed as
   * they always did.
   */
  routingPaths(): string[] | undefined {
    try {
      return this.paths
    } catch {
      return undefined
    }
  }

  /** The path and, when it differs, its symlink target. */
  get paths(): string[] {
    const real = this.realPath
    return real === undefined ? [this.path] : [this.path, real]
  }

  /** Lowercased host name; null when the URL cannot be parsed. */
  get host(): string | null {
    if (this.hostCache === undefined) this.hostCache = hostOf(this.call.url ?? '')
    return this.hostCache
  }
}

/** Each absolute or home-relative word of a command with `.` and `..` segments resolved, lexically (no disk). */
export function resolveDotSegments(form: string): string {
  return form.split(' ').map((word) => {
    if (!word.includes('/.') || !(word.startsWith('/') || word.startsWith('~/') || word.startsWith('$HOME/'))) return word
    const head = word.startsWith('/') ? '' : word.slice(0, word.indexOf('/'))
    const normal = posix.normalize(word.slice(head.length) || '/')
    const trimmed = normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal
    return head + (head && trimmed === '/' ? '' : trimmed)
  }).join(' ')
}

export function hostOf(url: string): string | null {
  const text = url.trim()
  if (!text) return null
  try {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`
    const host = new URL(withScheme).hostname.toLowerCase()
    return host.replace(/^\[|\]$/g, '').replace(/\.$/, '') || null
  } catch {
    return null
  }
}

function commandMatches(when: CompiledWhen, restrictive: boolean, s: Subject): boolean {
  const pos = when.command
  const neg = when.commandNot
  if (!restrictive) {
    const comps = s.analysis.components
    if (comps.length === 0) {
      const raw = (s.call.command ?? '').trim()
      return (!pos || pos.test(raw)) && !neg?.test(raw)
    }
    for (const c of comps) {
      if (pos && !pos.test(c.text)) return false
      if (neg && c.forms.some((f) => neg.test(f))) return false
    }
    return true
  }
  return restrictiveCommandMatch(when, s) !== undefined
}

/**
 * The spelling on which a deny/ask/watch rule's command condition holds, if any. Per spelling: a rule fires when
 * some spelling matches and is not excluded (`rm -rf /tmp/x && rm -rf /` stays denied by `rm -rf /**` minus
 * `rm -rf /tmp/**`). In a compound command, patterns of one command see each command's spellings; patterns that
 * join commands (`*curl * | sh`) see the whole command and its pipelines as well.
 */
export function restrictiveCommandMatch(when: CompiledWhen, s: Subject): string | undefined {
  const pos = when.command
  const neg = when.commandNot
  if (!pos || !s.compound) {
    for (const form of s.restrictive) if ((!pos || pos.test(form)) && !neg?.test(form)) return form
    return undefined
  }
  for (const form of s.componentSpellings) if (pos.test(form) && !neg?.test(form)) return form
  const span = when.commandSpan
  if (span) for (const form of s.restrictive) if (span.test(form) && !neg?.test(form)) return form
  return undefined
}

function containsMatches(when: CompiledWhen, restrictive: boolean, s: Subject): boolean {
  const needles = when.contains ?? []
  const filter = when.containsFilter
  if (restrictive) {
    for (const form of s.restrictive) if (!filter || filter.test(form)) return true
    return false
  }
  const comps = s.analysis.components
  if (comps.length === 0) return false
  return comps.every((c) => needles.some((n) => c.text.toLowerCase().includes(n)))
}

/** command_not_matches next to command_contains: an allow is excluded by any form, a deny only by the whole command. */
function containsExcluded(when: CompiledWhen, restrictive: boolean, s: Subject): boolean {
  const neg = when.commandNot
  if (!neg) return false
  const raw = s.call.command ?? ''
  if (restrictive) return neg.test(raw) && neg.test(s.analysis.normalized)
  return s.restrictive.some((f) => neg.test(f))
}

/**
 * Which calls can reach a rule (see RuleRoute): a rule with command_matches or command_contains can only match a
 * command one of whose spellings is one of its globs' literal texts, or contains one of their needles or of its
 * command_contains texts, or has one of their routing keys. Null when some glob has none of these, or the rule has
 * no command condition: then every call in scope tries it. Computed once per rule and kept on it.
 */
/**
 * Every rule's route in JSON form, by policy then rule: the build stores them in the shipped profiles' snapshots so
 * that a one-shot dry run or hook call does not read ~1,000 globs to find the few its command can reach.
 */
export function snapshotRoutes(file: CompiledFile): SnapshotRoutes {
  return file.policies.map((p) => p.rules.map((r) => {
    const route = routeOf(r)
    return route === null ? null : {exact: [...route.exact], needles: [...route.needles], keys: [...route.keys], ends: route.ends ? [...route.ends] : null}
  }))
}

function routeOf(rule: CompiledRule): RuleRoute | null {
  if (rule.route === undefined) rule.route = routeFor(rule.when)
  return rule.route
}

function routeFor(w: CompiledWhen): RuleRoute | null {
  if (w.always || w.never || (!w.command && !w.contains)) return null
  const route = w.command ? w.command.route?.() : {exact: [], needles: [], keys: []}
  if (!route) return null
  for (const text of w.contains ?? []) {
    if (!isNeedle(text)) return null
    route.needles.push(text)
  }
  const ends = onlyCommandCondition(w) ? w.command?.routingKeys?.() : undefined
  return {...route, ends: ends ? new Set(ends) : null}
}

/**
 * A rule without a command condition whose path globs all have literal text (GlobSet.pathNeedles): only a call whose
 * path, or its symlink target, contains one of the needles can match it. Null for every other rule.
 */
function pathRouteOf(rule: CompiledRule): readonly string[] | null {
  if (rule.pathRoute === undefined) {
    const w = rule.when
    const commandless = !w.command && !w.commandNot && !w.contains && !w.envAssignments
    rule.pathRoute = commandless && !w.always && !w.never && routeOf(rule) === null ? w.path?.pathNeedles?.() ?? null : null
  }
  return rule.pathRoute
}

/** Per tool: the policies in scope and, for routed rules, which rules each whole spelling, needle and key reaches. */
interface ToolPlan {
  policies: PolicyPlan[]
  exact: Map<string, RuleRef[]>
  /** needle → the rules it reaches; scanned directly until the plan has served NEEDLE_INDEX_AFTER calls */
  needleList: Map<string, RuleRef[]>
  /** built from needleList once the plan is in steady use (a one-shot process never pays for it) */
  needles: NeedleIndex<RuleRef> | undefined
  uses: number
  byKey: Map<number, RuleRef[]>
  /** the same for rules routed by their path globs (pathRouteOf) */
  pathNeedleList: Map<string, RuleRef[]>
  pathNeedles: NeedleIndex<RuleRef> | undefined
  pathUses: number
}

/**
 * Indexing ~1,000 needles costs a few milliseconds before the JIT warms up, while checking them one by one costs
 * tens of microseconds a call: a dry run or a hook process (one call) scans, a server (thousands) indexes.
 */
const NEEDLE_INDEX_AFTER = 16

/** A policy in a tool's plan. */
class PolicyPlan {
  /** The evaluation that last made one of its routed rules a candidate: the others skip the policy's routed rules. */
  candidateOf = 0
  private readonly byKind: Array<CompiledRule[] | undefined> = []

  constructor(readonly policy: CompiledPolicy) {}

  /** Its rules that no index routes and that a call of this kind (callKind) can match, in order. */
  unrouted(kind: number): CompiledRule[] {
    return (this.byKind[kind] ??= this.policy.rules.filter((r) => routeOf(r) === null && pathRouteOf(r) === null && (needsOf(r.when) & ~kind) === 0))
  }
}

interface RuleRef {
  rule: CompiledRule
  owner: PolicyPlan
}

const HAS_COMMAND = 1
const HAS_PATH = 2
const HAS_URL = 4
const HAS_RESPONSE = 8

/** What a call carries, as the bits above. */
function callKind(call: ToolCall): number {
  return (call.command !== undefined ? HAS_COMMAND : 0) | (call.path !== undefined ? HAS_PATH : 0) |
    (call.url !== undefined ? HAS_URL : 0) | (call.response !== undefined ? HAS_RESPONSE : 0)
}

/** More than any call carries. */
const UNREACHABLE = 16

/** What a call must carry for the rule to match: ruleMatches is false without it. */
function needsOf(w: CompiledWhen): number {
  if (w.always) return 0
  if (w.never) return UNREACHABLE
  return (w.command || w.commandNot || w.contains || w.envAssignments ? HAS_COMMAND : 0) | (w.path || w.pathNot ? HAS_PATH : 0) |
    (w.url || w.domain ? HAS_URL : 0) | (w.response || w.responseNot ? HAS_RESPONSE : 0)
}

const plans = new WeakMap<PolicySet, Map<string, ToolPlan>>()
/** Each evaluation marks the rules its routing reaches with a fresh number (evaluation is synchronous). */
let generation = 0

/** NeedleIndex visitor: the rules are candidates of this evaluation. */
function markCandidates(refs: readonly RuleRef[]): boolean {
  for (const ref of refs) {
    ref.rule.candidateOf = generation
    ref.owner.candidateOf = generation
  }
  return false
}

function planFor(set: PolicySet, tool: string): ToolPlan {
  let byTool = plans.get(set)
  if (!byTool) {
    byTool = new Map()
    plans.set(set, byTool)
  }
  let plan = byTool.get(tool)
  if (!plan) {
    plan = {
      policies: set.forTool(tool).map((p) => new PolicyPlan(p)), exact: new Map(), needleList: new Map(), needles: undefined, uses: 0, byKey: new Map(),
      pathNeedleList: new Map(), pathNeedles: undefined, pathUses: 0,
    }
    const add = <K>(map: Map<K, RuleRef[]>, key: K, ref: RuleRef) => {
      const list = map.get(key)
      if (!list) map.set(key, [ref])
      else if (!list.includes(ref)) list.push(ref)
    }
    for (const owner of plan.policies) {
      for (const rule of owner.policy.rules) {
        const route = routeOf(rule)
        if (route === null) {
          const needles = pathRouteOf(rule)
          if (needles !== null) for (const n of needles) add(plan.pathNeedleList, n, {rule, owner})
          continue
        }
        const ref = {rule, owner}
        for (const text of route.exact) add(plan.exact, text, ref)
        for (const n of route.needles) add(plan.needleList, n, ref)
        for (const k of route.keys) add(plan.byKey, k, ref)
      }
    }
    byTool.set(tool, plan)
  }
  return plan
}

/**
 * Marks the path-routed rules whose needles the path or its symlink target contains. A deny may match either, so
 * the target is looked up here, before any rule: routing cannot wait for a rule to need it.
 */
function markPathCandidates(plan: ToolPlan, subject: Subject): void {
  const paths = subject.routingPaths()
  if (paths === undefined) {
    for (const reach of plan.pathNeedleList.values()) markCandidates(reach)
    return
  }
  if (plan.pathNeedles === undefined && ++plan.pathUses > NEEDLE_INDEX_AFTER) plan.pathNeedles = indexNeedles(plan.pathNeedleList)
  for (const path of paths) {
    if (plan.pathNeedles) {
      plan.pathNeedles.forEachIn(path, markCandidates)
      continue
    }
    // lowercasing keeps every ASCII run of the path, so a needle the index would find is found here
    const lowered = path.toLowerCase()
    for (const [needle, reach] of plan.pathNeedleList) if (lowered.includes(needle)) markCandidates(reach)
  }
}

function indexNeedles(list: Map<string, RuleRef[]>): NeedleIndex<RuleRef> {
  const index = new NeedleIndex<RuleRef>()
  for (const [needle, refs] of list) for (const ref of refs) index.add(needle, ref)
  return index
}

/** No near miss (TraceEvent routedAway): the call lacks every literal end of the rule's globs (RuleRoute.ends). */
function farMiss(route: RuleRoute | null, keys: number[] | null, call: ToolCall): boolean {
  const ends = route?.ends
  if (!ends) return false
  return call.command === undefined || (keys !== null && !keys.some((k) => ends.has(k)))
}

function ruleMatches(rule: CompiledRule, s: Subject, options: EvaluateOptions, now: () => number): boolean {
  const when = rule.when
  if (when.never) return false
  if (when.always) return true
  const call = s.call
  const restrictive = rule.action !== 'allow'

  if (when.command || when.commandNot || when.contains) {
    // command_matches and command_contains form one OR group, as in the reference engine
    if (call.command === undefined) return false
    let hit = (when.command !== undefined || when.contains === undefined) && commandMatches(when, restrictive, s)
    if (!hit && when.contains) hit = containsMatches(when, restrictive, s) && !containsExcluded(when, restrictive, s)
    if (!hit) return false
  }
  if (when.envAssignments) {
    if (call.command === undefined) return false
    const names = s.analysis.assignments
    if (!names.some((n) => when.envAssignments?.test(n))) return false
  }
  if (when.path || when.pathNot) {
    if (call.path === undefined) return false
    s.pathLooked = true
    // a deny needs one candidate (the path or its symlink target) to match; an allow needs every one. The target
    // is looked up only when the literal path leaves the answer open.
    const literal = pathHit(when, s.path)
    if (restrictive ? !literal && !realPathHit(when, s, false) : !literal || !realPathHit(when, s, true)) return false
  }
  if (when.url) {
    if (call.url === undefined || !when.url.test(call.url)) return false
  }
  if (when.domain) {
    const host = s.host
    if (host === null || !when.domain.test(host)) return false
  }
  if (when.session && !when.session.test(s.session)) return false
  if (when.sessionNot?.test(s.session)) return false
  if (when.response || when.responseNot) {
    if (call.response === undefined) return false
    const out = call.response
    if (when.response && !when.response.some((r) => r.test(out))) return false
    if (when.responseNot?.some((r) => r.test(out))) return false
  }
  if (when.callCount) {
    const tool = when.callCount.tool ?? call.tool
    const past = options.history?.count(tool, now() - when.callCount.windowMs) ?? 0
    if (past + (tool === call.tool ? 1 : 0) < when.callCount.gte) return false
  }
  if (when.params) {
    // as in the reference: parameters the call lacks are skipped, and one matching parameter is enough
    let any = false
    for (const [name, glob] of when.params) {
      const value = paramValue(call, name)
      if (value !== undefined && glob.test(value.toLowerCase())) {
        any = true
        break
      }
    }
    if (!any) return false
  }
  if (when.depth && !depthMatches(when.depth, call)) return false
  return true
}

function depthMatches(depth: NonNullable<CompiledWhen['depth']>, call: ToolCall): boolean {
  const d = call.agentDepth ?? 0
  if (depth.eq !== undefined && d !== depth.eq) return false
  if (depth.gte !== undefined && d < depth.gte) return false
  if (depth.lte !== undefined && d > depth.lte) return false
  return true
}

function pathHit(when: CompiledWhen, path: string): boolean {
  return (!when.path || when.path.test(path)) && !when.pathNot?.test(path)
}

/** Whether the symlink target hits; `orSame` is the answer when the path resolves to itself. */
function realPathHit(when: CompiledWhen, s: Subject, orSame: boolean): boolean {
  const real = s.realPath
  return real === undefined ? orSame : pathHit(when, real)
}

function paramValue(call: ToolCall, name: string): string | undefined {
  const v = call.params?.[name] ?? (name === 'command' ? call.command : name === 'path' || name === 'file_path' ? call.path : name === 'url' ? call.url : undefined)
  if (v === undefined || v === null) return undefined
  return typeof v === 'string' ? v : JSON.stringify(v)
}

function failClosed(call: ToolCall, reason: string, started: number): Decision {
  return {
    action: 'deny', message: reason, decided_by: null, matched_policies: [], matched_rules: [], headless_only: false,
    audit: false, from_project: false, suggestions: [], session: call.session ?? '', notes: [],
    eval_us: Math.round((performance.now() - started) * 1000 * 100) / 100,
  }
}

function oversize(call: ToolCall): string | undefined {
  const check = (name: string, value: string | undefined, limit: number): string | undefined => {
    // a UTF-16 unit is at most 3 UTF-8 bytes, so short strings need no byte count
    if (value === undefined || value.length <= limit / 3) return undefined
    const bytes = Buffer.byteLength(value)
    return bytes > limit ? `the ${name} is ${bytes} bytes and exceeds the ${limit}-byte matching limit; failing closed` : undefined
  }
  return check('command', call.command, MAX_FIELD_BYTES) ?? check('path', call.path, MAX_FIELD_BYTES) ?? check('url', call.url, MAX_FIELD_BYTES) ??
    check('session', call.session, MAX_FIELD_BYTES) ?? check('agent', call.agent, MAX_FIELD_BYTES) ?? check('tool output', call.response, MAX_RESPONSE_BYTES)
}

interface Hit {
  policy: CompiledPolicy
  rule: CompiledRule
  matched: MatchedRule
}

/**
 * Decide one call (policy.md §5). Never throws for a call: any internal error becomes a deny that says why.
 */
export function evaluate(set: PolicySet, call: ToolCall, options: EvaluateOptions = {}): Decision {
  const started = performance.now()
  try {
    return decide(set, call, options, started)
  } catch (error) {
    return failClosed(call, `internal error while evaluating (${(error as Error).message}); failing closed — please report this with the command that caused it`, started)
  }
}

function decide(set: PolicySet, call: ToolCall, options: EvaluateOptions, started: number): Decision {
  const tooBig = oversize(call)
  if (tooBig) return failClosed(call, tooBig, started)
  const subject = new Subject(call, set)
  if (call.command !== undefined && subject.analysis.failClosed) {
    return failClosed(call, `the command cannot be analysed safely (${subject.analysis.failClosed}); failing closed`, started)
  }
  if (call.url !== undefined && subject.host === null) {
    return failClosed(call, `the URL ${JSON.stringify(call.url.slice(0, 200))} cannot be parsed; failing closed`, started)
  }
  // the clock is read only when a rule needs it (expires_at, call_count)
  let nowCache = options.now
  const now = (): number => (nowCache ??= Date.now())
  const agent = call.agent ?? ''
  const hits: Hit[] = []
  const notes: string[] = []
  const plan = planFor(set, call.tool)
  // mark the routed rules some spelling of this command can reach; the others are skipped unseen
  const gen = ++generation
  const spellings = call.command !== undefined ? subject.spellings : undefined
  const keys = spellings?.keys ?? null
  if (spellings !== undefined && keys !== null) {
    if (plan.exact.size > 0) {
      for (const text of spellings.restrictive) {
        const reach = plan.exact.get(text)
        if (reach) markCandidates(reach)
      }
    }
    if (plan.needleList.size > 0) {
      if (plan.needles === undefined && ++plan.uses > NEEDLE_INDEX_AFTER) plan.needles = indexNeedles(plan.needleList)
      // spellings are lowercased, needles lowercase ASCII: containment is the index's case-insensitive match
      if (plan.needles) for (const text of spellings.lowered) plan.needles.forEachIn(text, markCandidates)
      else for (const [needle, reach] of plan.needleList) if (spellings.lowered.some((text) => text.includes(needle))) markCandidates(reach)
    }
    for (let i = 0; i < keys.length; i++) {
      const reach = plan.byKey.get(keys[i] as number)
      if (reach) markCandidates(reach)
    }
  }
  if (call.path !== undefined && plan.pathNeedleList.size > 0) markPathCandidates(plan, subject)
  const trace = options.trace
  if (trace) {
    for (const policy of set.policies) {
      if (!policy.enabled) trace.push({kind: 'out-of-scope', policy, why: 'enabled: false'})
      else if (!plan.policies.some((pp) => pp.policy === policy)) trace.push({kind: 'out-of-scope', policy, why: `match.tool ${JSON.stringify(policy.match.tool?.sources)} does not cover ${call.tool}`})
    }
  }
  // every rule is tried when tracing or when the command cannot be routed; else a policy none of whose routed rules
  // is a candidate offers only its unrouted rules
  const tryAll = trace !== undefined || (call.command !== undefined && keys === null)
  const kind = callKind(call)
  let stopped = false
  for (const owner of plan.policies) {
    const policy = owner.policy
    if (stopped) {
      trace?.push({kind: 'not-reached', policy})
      continue
    }
    const full = tryAll || owner.candidateOf === gen
    const rules = full ? policy.rules : owner.unrouted(kind)
    if (rules.length === 0 && !trace) continue
    if (policy.match.agent && !policy.match.agent.test(agent)) {
      trace?.push({kind: 'out-of-scope', policy, why: `match.agent ${JSON.stringify(policy.match.agent.sources)} does not cover agent ${JSON.stringify(agent)}`})
      continue
    }
    if (policy.match.session && !policy.match.session.test(subject.session)) {
      trace?.push({kind: 'out-of-scope', policy, why: `match.session ${JSON.stringify(policy.match.session.sources)} does not cover session ${JSON.stringify(subject.session)}`})
      continue
    }
    for (const rule of rules) {
      const route = routeOf(rule)
      const skipped = route !== null
        ? call.command === undefined || (keys !== null && rule.candidateOf !== gen)
        : rule.candidateOf !== gen && pathRouteOf(rule) !== null
      if (skipped && !trace) continue
      // a rule needing what the call lacks (a tool output, a URL) cannot match: passed over unseen, as unrouted()
      // does, before a path condition could ask for a symlink target it does not need
      if (full && !trace && (needsOf(rule.when) & ~kind) !== 0) continue
      const routedAway = trace !== undefined && farMiss(route, keys, call)
      if (rule.expiresAt !== undefined && rule.expiresAt <= now()) {
        trace?.push({kind: 'rule', policy, rule, outcome: 'expired', routedAway})
        continue
      }
      if (rule.once && rule.action === 'allow' && options.once?.isConsumed(onceKey(policy, rule))) {
        trace?.push({kind: 'rule', policy, rule, outcome: 'spent', routedAway})
        continue
      }
      // when tracing, rules the index would skip are tried anyway: explain shows every rule, and a routed-away
      // rule that matches would be an engine bug, reported rather than hidden
      const matched = options.skipRules?.has(rule) === true ? false : ruleMatches(rule, subject, options, now)
      if (skipped && matched) throw new Error(`routing skipped rule ${rule.index} of '${policy.name}', which matches this call`)
      trace?.push({kind: 'rule', policy, rule, outcome: matched ? 'matched' : 'no-match', routedAway})
      if (!matched) continue
      const effective = !(policy.layer === 'project' && rule.action === 'allow')
      if (!effective) notes.push(`project policy '${policy.name}' rule ${rule.index} allows this, but project policies can only tighten`)
      hits.push({policy, rule, matched: {policy: policy.name, rule: rule.index, action: rule.action, file: policy.file, line: rule.pos.line, layer: policy.layer, effective}})
      break
    }
    if (hits.length > 0 && hits[hits.length - 1]?.rule.action === 'deny') {
      stopped = true
      trace?.push({kind: 'stopped', after: policy})
    }
  }

  let winner: Hit | undefined
  for (const h of hits) {
    if (!h.matched.effective) continue
    if (!winner || RANK[h.rule.action] > RANK[winner.rule.action]) winner = h
  }
  const override = hits.find((h) => h.policy.layer === 'override' && h.rule.action === 'allow')
  if (override && winner && winner.rule.action !== 'deny' && winner !== override) {
    notes.push(`durable override '${override.policy.name}' (${override.policy.file}) allows this over ${winner.rule.action} from '${winner.policy.name}'`)
    winner = override
  } else if (override && !winner) {
    winner = override
  }

  let action: Action
  let message: string
  let headlessOnly = false
  let audit = false
  if (winner) {
    action = winner.rule.action
    headlessOnly = winner.rule.headlessOnly
    audit = winner.rule.audit
    message = winner.rule.message ?? defaultMessage(action, winner.policy.name)
    if (winner.rule.declared === 'webhook') {
      message = `${message} (webhook rule: only \`rampart serve\` can ask the webhook, so this call is denied here)`
    }
  } else {
    action = set.defaultAction
    message = action === 'deny'
      ? `no rule allows this ${call.tool} call and the default action is deny`
      : `no rule matched; default action ${action}`
  }
  if (action === 'ask' && headlessOnly && options.headless) {
    action = 'deny'
    message = `${message} (headless_only: approval is not possible in headless mode, so this is denied)`
  } else if (action === 'ask' && options.headless) {
    notes.push('headless: a real call waits for an approval channel (rampart serve, or PR-comment approvals in GitHub Actions) and is denied when none is configured')
  }

  // symlinks are resolved for every call that a path rule looked at and that is not denied, even when the literal
  // path settled each rule: a target that cannot be looked up (no permission) fails closed
  if (action !== 'deny') subject.settlePath()

  const decision: Decision = {
    action,
    message,
    decided_by: winner?.matched ?? null,
    matched_policies: hits.map((h) => h.policy.name),
    matched_rules: hits.map((h) => h.matched),
    headless_only: headlessOnly,
    audit,
    from_project: winner?.policy.layer === 'project',
    suggestions: action === 'deny' ? suggestAllow(call, call.command !== undefined ? subject.analysis : undefined) : [],
    session: subject.session,
    notes,
    eval_us: 0,
  }
  if (winner?.rule.once && winner.rule.action === 'allow' && action === 'allow') decision.once_key = onceKey(winner.policy, winner.rule)
  if (winner?.rule.webhook && winner.rule.declared === 'webhook') {
    decision.webhook = winner.rule.webhook
    // not enumerable: decisions are printed as JSON, a compiled rule is not for printing
    Object.defineProperty(decision, 'webhook_rule', {value: winner.rule, enumerable: false})
  }
  decision.eval_us = Math.round((performance.now() - started) * 1000 * 100) / 100
  return decision
}

function defaultMessage(action: Action, policy: string): string {
  switch (action) {
    case 'deny': return `denied by policy '${policy}'`
    case 'ask': return `approval required by policy '${policy}'`
    case 'watch': return `allowed and recorded by policy '${policy}'`
    default: return `allowed by policy '${policy}'`
  }
}

/** One condition of a rule and how it compared with the call. */
export interface ConditionReport {
  field: string
  ok: boolean
  detail: string
}

/**
 * How each condition of `rule` compares with `call`: which pattern matched which component or path, or why not.
 * Used by explain; the verdict itself always comes from evaluate().
 */
export function describeRule(set: PolicySet, call: ToolCall, rule: CompiledRule, options: EvaluateOptions = {}): ConditionReport[] {
  const s = new Subject(call, set)
  const w = rule.when
  const out: ConditionReport[] = []
  const restrictive = rule.action !== 'allow'
  if (w.always) {
    out.push({field: 'when', ok: true, detail: 'default: true or no conditions — matches every call in scope'})
    return out
  }
  if (w.never) out.push({field: 'when', ok: false, detail: 'only negative conditions: such a rule never matches'})
  if (w.command || w.commandNot || w.contains) {
    if (call.command === undefined) out.push({field: 'command_matches', ok: false, detail: 'the call has no command'})
    else if (restrictive) {
      let found = false
      const form = (w.command || w.commandNot) ? restrictiveCommandMatch(w, s) : undefined
      if (form !== undefined && (w.command || !w.contains)) {
        out.push({field: 'command_matches', ok: true, detail: w.command ? `${JSON.stringify(w.command.find(form))} matches ${JSON.stringify(form)}` : `not excluded: ${JSON.stringify(form)}`})
        found = true
      } else if (w.command && w.commandNot) {
        const excluded = s.restrictive.find((f) => w.command?.test(f) && w.commandNot?.test(f))
        if (excluded !== undefined) out.push({field: 'command_not_matches', ok: false, detail: `${JSON.stringify(w.commandNot.find(excluded))} excludes ${JSON.stringify(excluded)}`})
      }
      if (!found && w.contains) {
        const needle = w.contains.find((n) => s.restrictive.some((f) => f.toLowerCase().includes(n)))
        if (needle !== undefined) {
          const form = s.restrictive.find((f) => f.toLowerCase().includes(needle)) ?? ''
          out.push({field: 'command_contains', ok: true, detail: `${JSON.stringify(needle)} occurs in ${JSON.stringify(form)}`})
          found = true
        }
      }
      if (!found) out.push({field: w.command ? 'command_matches' : 'command_contains', ok: false, detail: `no spelling of the command matches (${s.restrictive.map((f) => JSON.stringify(f)).join(', ')})`})
    } else {
      const comps = s.analysis.components
      const uncovered = comps.find((c) => (w.command ? !w.command.test(c.text) : !w.contains?.some((n) => c.text.toLowerCase().includes(n))) || c.forms.some((f) => w.commandNot?.test(f)))
      if (comps.length === 0) out.push({field: 'command_matches', ok: false, detail: 'the command has no components'})
      else if (uncovered) out.push({field: 'command_matches', ok: false, detail: `an allow must cover every component; ${JSON.stringify(uncovered.text)} is not covered`})
      else out.push({field: 'command_matches', ok: true, detail: `covers every component (${comps.map((c) => JSON.stringify(c.text)).join(', ')})`})
    }
  }
  if (w.envAssignments) {
    const name = s.analysis.assignments.find((n) => w.envAssignments?.test(n))
    out.push({field: 'command_env_assignments', ok: name !== undefined, detail: name ? `assigns ${name}` : `assigns ${s.analysis.assignments.join(', ') || 'nothing'}`})
  }
  if (w.path || w.pathNot) {
    if (call.path === undefined) out.push({field: 'path_matches', ok: false, detail: 'the call has no path'})
    else for (const p of s.paths) {
      const pat = w.path?.find(p)
      const excl = w.pathNot?.find(p)
      out.push({field: 'path_matches', ok: (w.path ? pat !== undefined : true) && excl === undefined,
        detail: excl !== undefined ? `${JSON.stringify(excl)} excludes ${p}` : pat !== undefined ? `${JSON.stringify(pat)} matches ${p}` : `no pattern matches ${p}`})
    }
  }
  if (w.url) out.push({field: 'url_matches', ok: call.url !== undefined && w.url.test(call.url), detail: call.url === undefined ? 'the call has no URL' : `${JSON.stringify(w.url.find(call.url) ?? 'no pattern')} vs ${call.url}`})
  if (w.domain) out.push({field: 'domain_matches', ok: s.host !== null && w.domain.test(s.host), detail: s.host === null ? 'no host' : `${JSON.stringify(w.domain.find(s.host) ?? 'no pattern')} vs ${s.host}`})
  if (w.session) out.push({field: 'session_matches', ok: w.session.test(s.session), detail: `session ${JSON.stringify(s.session)}`})
  if (w.sessionNot) out.push({field: 'session_not_matches', ok: !w.sessionNot.test(s.session), detail: `session ${JSON.stringify(s.session)}`})
  if (w.response || w.responseNot) {
    const r = call.response
    const hit = r === undefined ? undefined : w.response?.find((re) => re.test(r))
    out.push({field: 'response_matches', ok: r !== undefined && (!w.response || hit !== undefined) && !w.responseNot?.some((re) => re.test(r)),
      detail: r === undefined ? 'no tool output (checked after the tool ran)' : hit ? `/${hit.source}/ found in the output` : 'no pattern found in the output'})
  }
  if (w.callCount) {
    const tool = w.callCount.tool ?? call.tool
    const n = (options.history?.count(tool, (options.now ?? Date.now()) - w.callCount.windowMs) ?? 0) + (tool === call.tool ? 1 : 0)
    out.push({field: 'call_count', ok: n >= w.callCount.gte, detail: `${n} ${tool} call(s) in the window, rule fires at ${w.callCount.gte}${options.history ? '' : ' (dry runs count only this call)'}`})
  }
  if (w.params) {
    const hit = w.params.find(([name, g]) => {
      const v = paramValue(call, name)
      return v !== undefined && g.test(v.toLowerCase())
    })
    out.push({field: 'tool_param_matches', ok: hit !== undefined, detail: hit ? `parameter ${hit[0]} matches ${JSON.stringify(hit[1].sources[0])}` : 'no listed parameter matches'})
  }
  if (w.depth) out.push({field: 'agent_depth', ok: depthMatches(w.depth, call), detail: `depth ${call.agentDepth ?? 0}`})
  return out
}
