import {existsSync, readdirSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'

import {callFromParams} from '../engine/call.js'
import {evaluate, RANK, type Decision, type ToolCall, type TraceEvent} from '../engine/evaluate.js'
import {compileCommandGlob} from '../engine/glob.js'
import {PolicyError, RampartError, type SourcePos} from '../errors.js'
import type {CompiledPolicy} from '../policy/compile.js'
import {findProjectRoot, loadPolicy, type LoadOptions, type PolicySet} from '../policy/load.js'
import {readTestFile, type ParsedFile} from '../policy/parse.js'
import type {Action, PolicyFileDoc, TestCaseDoc} from '../policy/types.js'
import {ruleKey, shadowedRules, type CoverageReport, type RuleCoverage} from './coverage.js'
import {disguises} from './mutate.js'

export interface SuiteOptions {
  cwd: string
  /** How to load the policy when a suite does not name one. */
  load: LoadOptions
  /** Only cases whose name matches this glob. */
  filter?: string
  /** Collect rule coverage. */
  coverage?: boolean
  /** Re-run deny/ask exec cases in disguise and report bypasses. */
  mutate?: boolean
}

export interface Bypass {
  name: string
  file: string
  line: number
  technique: string
  /** the disguised command, exactly */
  command: string
  expected: Action
  got: Action
}

export interface MutationReport {
  /** deny/ask exec cases that passed as written and were disguised */
  cases: number
  disguises: number
  bypasses: Bypass[]
}

export interface CaseResult {
  name: string
  file: string
  line: number
  passed: boolean
  expected: Action
  got: Action | 'error'
  message: string
  /** The deciding policy name, or null for the default action. */
  rule: string | null
  /** The deciding rule: policy#index with its file and line. */
  decided_by: {policy: string; rule: number; file: string; line: number} | null
  eval_us: number
  failure?: string
}

export interface SuiteFileResult {
  file: string
  tests: number
  passed: number
  failed: number
  errors: number
  time_ms: number
  /** set when the file could not be used at all */
  error?: string
}

export interface SuiteReport {
  passed: number
  failed: number
  errors: number
  skipped: number
  total: number
  tests: CaseResult[]
  files: SuiteFileResult[]
  /** one-line problems: invalid suite files, cases that could not run */
  errorMessages: string[]
  /** suite files that could not be read or validated (exit 5) */
  invalidFiles: number
  coverage?: CoverageReport
  mutations?: MutationReport
}

interface SuiteDoc {
  policy?: string
  tests?: TestCaseDoc[]
}

/** A case ready to run: the call, and the policy it runs against (for mutation testing and coverage). */
export interface PreparedCase {
  tc: TestCaseDoc
  file: string
  pos: SourcePos
  policy: PolicySet
  call: ToolCall
}

export function isSuiteArgument(arg: string, cwd: string): boolean {
  return /\.ya?ml$/i.test(arg) && existsSync(resolve(cwd, arg))
}

/** Default targets: .rampart/tests/*.yaml, then .rampart/policy.yaml when it has inline tests. */
export function findSuiteTargets(cwd: string): string[] {
  const root = findProjectRoot(cwd) ?? cwd
  const dir = join(root, '.rampart', 'tests')
  const out: string[] = []
  try {
    for (const f of readdirSync(dir).sort()) if (/\.ya?ml$/.test(f)) out.push(join(dir, f))
  } catch {
    // no tests folder
  }
  const policy = join(root, '.rampart', 'policy.yaml')
  if (existsSync(policy)) out.push(policy)
  return out
}

function isPolicyFile(doc: SuiteDoc & PolicyFileDoc): boolean {
  return doc.policies !== undefined || doc.version !== undefined || doc.default_action !== undefined
}

/**
 * The policy a suite runs against. A suite naming `policy:` and a policy file with inline tests test that file
 * alone (no global or project layers), so results do not depend on the machine; a repository's own
 * .rampart/policy.yaml and suites without `policy:` get the layered policy, as real calls would.
 */
function policyFor(file: string, parsed: ParsedFile<SuiteDoc & PolicyFileDoc>, options: SuiteOptions): {policy: PolicySet; underTest: (p: CompiledPolicy) => boolean} {
  const doc = parsed.doc
  const base: LoadOptions = {...options.load, cwd: dirname(file)}
  const alone = (target: string) => {
    const policy = loadPolicy({...base, config: target, noProject: true, noGlobal: true})
    return {policy, underTest: () => true}
  }
  if (isPolicyFile(doc)) {
    const root = findProjectRoot(dirname(file))
    if (root && resolve(root, '.rampart', 'policy.yaml') === file) {
      return {policy: loadPolicy(base), underTest: (p: CompiledPolicy) => p.file === file}
    }
    return alone(file)
  }
  if (doc.policy !== undefined) {
    const target = resolve(dirname(file), doc.policy)
    if (!existsSync(target)) {
      throw new PolicyError(parsed.locate(['policy']), `the suite names ${doc.policy}, which does not exist`, 'fix the path; it is relative to the suite file')
    }
    return alone(target)
  }
  const policy = loadPolicy({...options.load})
  const own = policy.policies.some((p) => p.layer !== 'builtin')
  return {policy, underTest: (p: CompiledPolicy) => (own ? p.layer !== 'builtin' : true)}
}

/** Read every suite and prepare its cases; invalid files are reported, not fatal to the others. */
export function prepareSuites(files: readonly string[], options: SuiteOptions): {cases: PreparedCase[]; report: SuiteReport; policies: Array<{policy: PolicySet; underTest: (p: CompiledPolicy) => boolean}>} {
  const report: SuiteReport = {passed: 0, failed: 0, errors: 0, skipped: 0, total: 0, tests: [], files: [], errorMessages: [], invalidFiles: 0}
  const filter = options.filter ? compileCommandGlob(options.filter) : undefined
  const cases: PreparedCase[] = []
  const policies: Array<{policy: PolicySet; underTest: (p: CompiledPolicy) => boolean}> = []
  for (const f of files) {
    const file = resolve(options.cwd, f)
    try {
      const parsed = readTestFile<SuiteDoc & PolicyFileDoc>(file)
      const target = policyFor(file, parsed, options)
      policies.push(target)
      for (const [i, tc] of (parsed.doc.tests ?? []).entries()) {
        if (filter && !filter.test(tc.name)) {
          report.skipped++
          continue
        }
        cases.push({tc, file, pos: parsed.locate(['tests', i]), policy: target.policy, call: callOf(tc, file)})
      }
    } catch (error) {
      if (!(error instanceof RampartError)) throw error
      report.invalidFiles++
      report.errorMessages.push(error.message)
      report.files.push({file, tests: 0, passed: 0, failed: 0, errors: 0, time_ms: 0, error: error.message})
    }
  }
  return {cases, report, policies}
}

function callOf(tc: TestCaseDoc, file: string): ToolCall {
  const tool = tc.tool ?? 'exec'
  const params: Record<string, unknown> = {...(tc.params ?? {})}
  for (const key of ['command', 'path', 'url'] as const) if (tc[key] !== undefined) params[key] = tc[key]
  return callFromParams(tool, params, {
    agent: tc.agent ?? 'claude-code',
    session: tc.session ?? '',
    cwd: tc.cwd ? resolve(dirname(file), tc.cwd) : dirname(file),
    ...(tc.response !== undefined ? {response: tc.response} : {}),
    ...(tc.agent_depth !== undefined ? {agentDepth: tc.agent_depth} : {}),
  })
}

export function runSuites(files: readonly string[], options: SuiteOptions): SuiteReport {
  const {cases, report, policies} = prepareSuites(files, options)
  const coverage = options.coverage ? new Map<string, RuleCoverage>() : undefined
  if (coverage) {
    for (const {policy, underTest} of policies) {
      const shadowed = shadowedRules(policy)
      for (const p of policy.policies) {
        if (!underTest(p)) continue
        for (const r of p.rules) {
          const key = ruleKey(p, r)
          if (coverage.has(key)) continue
          const shadow = shadowed.get(key)
          coverage.set(key, {policy: p.name, rule: r.index, file: p.file, line: r.pos.line, action: r.declared, positive: [], negative: [], ...(shadow ? {shadowed: shadow} : {})})
        }
      }
    }
  }
  const perFile = new Map<string, SuiteFileResult>()
  for (const pc of cases) {
    let fileResult = perFile.get(pc.file)
    if (!fileResult) {
      fileResult = {file: pc.file, tests: 0, passed: 0, failed: 0, errors: 0, time_ms: 0}
      perFile.set(pc.file, fileResult)
    }
    const trace: TraceEvent[] | undefined = coverage ? [] : undefined
    const result = runCase(pc, trace)
    if (coverage && trace) recordCoverage(coverage, trace, result, pc)
    report.tests.push(result)
    report.total++
    fileResult.tests++
    fileResult.time_ms += result.eval_us / 1000
    if (result.got === 'error') {
      report.errors++
      fileResult.errors++
    } else if (result.passed) {
      report.passed++
      fileResult.passed++
    } else {
      report.failed++
      fileResult.failed++
    }
  }
  report.files.push(...perFile.values())
  if (options.mutate) report.mutations = mutateCases(cases, report.tests)
  if (coverage) {
    const rules = [...coverage.values()]
    const covered = rules.filter((r) => r.positive.length > 0).length
    report.coverage = {total: rules.length, covered, percent: rules.length ? Math.round((covered / rules.length) * 1000) / 10 : 100, rules}
  }
  return report
}

function recordCoverage(coverage: Map<string, RuleCoverage>, trace: TraceEvent[], result: CaseResult, pc: PreparedCase): void {
  for (const ev of trace) {
    if (ev.kind !== 'rule' || ev.outcome !== 'no-match' || ev.routedAway || !inspects(ev.rule.when, pc.call)) continue
    coverage.get(ruleKey(ev.policy, ev.rule))?.negative.push(pc.tc.name)
  }
  const by = result.decided_by
  if (!by) return
  const decider = trace.find((ev): ev is Extract<TraceEvent, {kind: 'rule'}> =>
    ev.kind === 'rule' && ev.outcome === 'matched' && ev.policy.name === by.policy && ev.rule.index === by.rule && ev.policy.file === by.file)
  if (decider) coverage.get(ruleKey(decider.policy, decider.rule))?.positive.push(pc.tc.name)
}


/**
 * Bypass mutations (cli.md): every deny/ask exec case that passes as written is re-run in each disguise of its
 * command; a disguise decided more weakly than the original (deny > ask > watch > allow) is a bypass.
 */
function mutateCases(cases: PreparedCase[], results: CaseResult[]): MutationReport {
  const out: MutationReport = {cases: 0, disguises: 0, bypasses: []}
  cases.forEach((pc, i) => {
    const result = results[i]
    const command = pc.call.command
    if (!result?.passed || command === undefined || (pc.tc.tool ?? 'exec') !== 'exec' || (pc.tc.expect !== 'deny' && pc.tc.expect !== 'ask')) return
    const original = result.got as Action
    out.cases++
    for (const d of disguises(command)) {
      out.disguises++
      const got = decideCase(pc, undefined, {...pc.call, command: d.command, params: {...pc.call.params, command: d.command}}).action
      if (RANK[got] < RANK[original]) {
        out.bypasses.push({name: pc.tc.name, file: pc.file, line: pc.pos.line, technique: d.technique, command: d.command, expected: original, got})
      }
    }
  })
  return out
}

/** A near miss must carry what the rule looks at: a command for command rules, a path for path rules, and so on. */
function inspects(w: CompiledPolicy['rules'][number]['when'], call: ToolCall): boolean {
  if ((w.command || w.commandNot || w.contains || w.envAssignments) && call.command === undefined) return false
  if ((w.path || w.pathNot) && call.path === undefined) return false
  if ((w.url || w.domain) && call.url === undefined) return false
  if ((w.response || w.responseNot) && call.response === undefined) return false
  return true
}

export function decideCase(pc: PreparedCase, trace?: TraceEvent[], call: ToolCall = pc.call): Decision {
  return evaluate(pc.policy, call, {headless: pc.tc.headless ?? false, ...(trace ? {trace} : {})})
}

function runCase(pc: PreparedCase, trace?: TraceEvent[]): CaseResult {
  const {tc, file, pos} = pc
  const base = {name: tc.name, file, line: pos.line, expected: tc.expect}
  const call = pc.call
  if (call.command === undefined && call.path === undefined && call.url === undefined && Object.keys(call.params ?? {}).length === 0) {
    return {...base, passed: false, got: 'error', message: '', rule: null, decided_by: null, eval_us: 0,
      failure: `${file}:${pos.line}:${pos.col}: the case has no command, path, url or params — add params: {command: "..."}`}
  }
  const d = decideCase(pc, trace)
  const by = d.decided_by
  const problems: string[] = []
  if (d.action !== tc.expect) problems.push(`expected ${tc.expect}, got ${d.action}${by ? ` from ${by.policy}#${by.rule}` : ' (default action)'}: ${d.message}`)
  if (tc.expect_message !== undefined && !compileCommandGlob(tc.expect_message).test(d.message)) {
    problems.push(`message ${JSON.stringify(d.message)} does not match ${JSON.stringify(tc.expect_message)}`)
  }
  if (tc.expect_rule !== undefined) {
    const [wantPolicy, wantIndex] = tc.expect_rule.split('#')
    const ok = by !== null && by.policy === wantPolicy && (wantIndex === undefined || String(by.rule) === wantIndex)
    if (!ok) problems.push(`decided by ${by ? `${by.policy}#${by.rule}` : 'the default action'}, expected ${tc.expect_rule}`)
  }
  return {
    ...base,
    passed: problems.length === 0,
    got: d.action,
    message: d.message,
    rule: by ? by.policy : null,
    decided_by: by ? {policy: by.policy, rule: by.rule, file: by.file, line: by.line} : null,
    eval_us: d.eval_us,
    ...(problems.length ? {failure: problems.join('; ')} : {}),
  }
}
