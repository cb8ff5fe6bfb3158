import {posix} from 'node:path'

import {onlyCommandCondition, type CompiledPolicy, type CompiledRule, type CompiledWhen, type Layer} from '../policy/compile.js'
import type {PolicySet} from '../policy/load.js'
import type {Action} from '../policy/types.js'
import {normalisePath, resolveSymlinks} from './paths.js'
import {routingKeysOf} from './glob.js'
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
  /** Why something did not count (project allows, overrides), for explain and test output. */
  notes: string[]
  eval_us: number
}

const RANK: Record<Action, number> = {allow: 0, watch: 1, ask: 2, deny: 3}

export function onceKey(policy: CompiledPolicy, rule: CompiledRule): string {
  return `${policy.file}#${policy.name}#${rule.index}`
}

/**
 * Shell analysis is a pure function of the command text and agents repeat commands constantly (`git status`,
 * `npm test`), so a long-running process (rampart serve, a test run) keeps the latest analyses. Bounded; entries
 * are never mutated. Paths get no such cache: a stale symlink resolution would be a bypass.
 */
const ANALYSIS_MEMO_SIZE = 2048
const analysisMemo = new Map<string, CommandAnalysis>()
let memoEnabled = true

/** For benchmarks and tests: measure or check the engine without the analysis memo. */
export function setAnalysisMemo(enabled: boolean): void {
  memoEnabled = enabled
  analysisMemo.clear()
}

function analyzeMemo(command: string): CommandAnalysis {
  if (!memoEnabled) return analyzeCommand(command)
  let a = analysisMemo.get(command)
  if (a === undefined) {
    a = analyzeCommand(command)
    if (analysisMemo.size >= ANALYSIS_MEMO_SIZE) analysisMemo.clear()
    analysisMemo.set(command, a)
  }
  return a
}

/** Everything about a call that rules compare against, computed at most once and only when a rule needs it. */
export class Subject {
  readonly call: ToolCall
  readonly session: string
  private readonly set: PolicySet
  private analysisCache: CommandAnalysis | undefined
  private restrictiveCache: string[] | undefined
  private componentCache: string[] | undefined
  private pathCache: string[] | undefined
  private keysCache: number[] | null | undefined
  private hostCache: string | null | undefined

  constructor(call: ToolCall, set: PolicySet) {
    this.call = call
    this.set = set
    this.session = call.session ?? ''
  }

  get analysis(): CommandAnalysis {
    this.analysisCache ??= analyzeMemo(this.call.command ?? '')
    return this.analysisCache
  }

  /** Every spelling a restrictive rule compares: the whole command (raw, normalised, without sudo) and each
   *  component's forms, deduplicated. */
  get restrictive(): string[] {
    if (!this.restrictiveCache) this.spell()
    return this.restrictiveCache as string[]
  }

  /**
   * The spellings of each single command (component forms). For a compound command a pattern that describes
   * one command is compared only with these: compared with the whole text, its `*` would reach across `&&`
   * (`rm -r* ..` would deny `rm -rf dist && cd ..`).
   */
  get componentSpellings(): string[] {
    if (!this.componentCache) this.spell()
    return this.componentCache as string[]
  }

  /** More than one command: whole spellings are then only for patterns that span commands. */
  get compound(): boolean {
    return this.analysis.components.length > 1
  }

  private spell(): void {
    const a = this.analysis
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
    const whole = [this.call.command ?? '', a.normalized, a.unprivileged]
    // pipelines inside lists and substitutions (`curl x | sh; true`, `echo "$(curl x | sh)"`)
    if (a.components.length > 1) whole.push(...pipelineSpellings(a.normalized))
    const all = withDots([...whole, ...components])
    this.componentCache = [...components]
    this.restrictiveCache = [...all]
  }

  /** Routing keys of every spelling, or null when some spelling is too short to route (then no rule is skipped). */
  get keys(): number[] | null {
    if (this.keysCache === undefined) {
      const keys: number[] = []
      for (const form of this.restrictive) {
        const k = routingKeysOf(form)
        if (!k) {
          this.keysCache = null
          return null
        }
        keys.push(k[0], k[1], k[2])
      }
      this.keysCache = keys
    }
    return this.keysCache
  }

  get paths(): string[] {
    if (!this.pathCache) {
      const cwd = this.call.cwd ?? process.cwd()
      const normal = normalisePath(this.call.path ?? '', cwd, this.set.home)
      const real = resolveSymlinks(normal)
      this.pathCache = real ? [normal, real] : [normal]
    }
    return this.pathCache
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
 * For a rule whose only condition is command_matches (optionally with command_not_matches) and all of whose globs
 * have a literal prefix or suffix: the routing keys it can match. A call none of whose spellings has one of them
 * cannot match the rule, which is then skipped without testing its globs. Null: the rule is always tested.
 * Computed once per rule and kept on it.
 */
function routeOf(rule: RoutedRule): Set<number> | null {
  if (rule.route === undefined) {
    const w = rule.when
    const onlyCommand = onlyCommandCondition(w)
    const keys = onlyCommand ? w.command?.routingKeys?.() : undefined
    rule.route = keys ? new Set(keys) : null
  }
  return rule.route
}

type RoutedRule = CompiledRule

/** Per tool: the policies in scope and, for routed rules, which rules each routing key can reach. */
interface ToolPlan {
  policies: CompiledPolicy[]
  byKey: Map<number, RoutedRule[]>
}

const plans = new WeakMap<PolicySet, Map<string, ToolPlan>>()
/** Each evaluation marks the rules its routing keys reach with a fresh number (evaluation is synchronous). */
let generation = 0

function planFor(set: PolicySet, tool: string): ToolPlan {
  let byTool = plans.get(set)
  if (!byTool) {
    byTool = new Map()
    plans.set(set, byTool)
  }
  let plan = byTool.get(tool)
  if (!plan) {
    const policies = set.forTool(tool)
    const byKey = new Map<number, RoutedRule[]>()
    for (const p of policies) {
      for (const rule of p.rules as RoutedRule[]) {
        const route = routeOf(rule)
        if (route === null) continue
        for (const k of route) {
          const list = byKey.get(k)
          if (list) list.push(rule)
          else byKey.set(k, [rule])
        }
      }
    }
    plan = {policies, byKey}
    byTool.set(tool, plan)
  }
  return plan
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
    const hit = (p: string) => (!when.path || when.path.test(p)) && !when.pathNot?.test(p)
    // a deny needs one candidate (the path or its symlink target) to match; an allow needs every one
    if (restrictive ? !s.paths.some(hit) : !s.paths.every(hit)) return false
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
  if (when.depth) {
    const d = call.agentDepth ?? 0
    if (when.depth.eq !== undefined && d !== when.depth.eq) return false
    if (when.depth.gte !== undefined && d < when.depth.gte) return false
    if (when.depth.lte !== undefined && d > when.depth.lte) return false
  }
  return true
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
  const keys = call.command !== undefined ? subject.keys : null
  if (keys !== null) {
    for (let i = 0; i < keys.length; i++) {
      const reach = plan.byKey.get(keys[i] as number)
      if (reach) for (let j = 0; j < reach.length; j++) (reach[j] as RoutedRule).candidateOf = gen
    }
  }
  const trace = options.trace
  if (trace) {
    for (const policy of set.policies) {
      if (!policy.enabled) trace.push({kind: 'out-of-scope', policy, why: 'enabled: false'})
      else if (!plan.policies.includes(policy)) trace.push({kind: 'out-of-scope', policy, why: `match.tool ${JSON.stringify(policy.match.tool?.sources)} does not cover ${call.tool}`})
    }
  }
  let stopped = false
  for (const policy of plan.policies) {
    if (stopped) {
      trace?.push({kind: 'not-reached', policy})
      continue
    }
    if (policy.match.agent && !policy.match.agent.test(agent)) {
      trace?.push({kind: 'out-of-scope', policy, why: `match.agent ${JSON.stringify(policy.match.agent.sources)} does not cover agent ${JSON.stringify(agent)}`})
      continue
    }
    if (policy.match.session && !policy.match.session.test(subject.session)) {
      trace?.push({kind: 'out-of-scope', policy, why: `match.session ${JSON.stringify(policy.match.session.sources)} does not cover session ${JSON.stringify(subject.session)}`})
      continue
    }
    for (const rule of policy.rules as RoutedRule[]) {
      const routedAway = rule.route !== null && routeOf(rule) !== null && (call.command === undefined || (keys !== null && rule.candidateOf !== gen))
      if (routedAway && !trace) continue
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
      const matched = ruleMatches(rule, subject, options, now)
      if (routedAway && matched) throw new Error(`routing skipped rule ${rule.index} of '${policy.name}', which matches this call`)
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
  if (winner?.rule.webhook && winner.rule.declared === 'webhook') decision.webhook = winner.rule.webhook
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
  if (w.depth) out.push({field: 'agent_depth', ok: ruleMatches({...rule, when: {always: false, never: false, depth: w.depth}}, s, options, () => options.now ?? Date.now()), detail: `depth ${call.agentDepth ?? 0}`})
  return out
}
