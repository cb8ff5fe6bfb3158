import {existsSync, readdirSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'

import {callFromParams} from '../engine/call.js'
import {evaluate} from '../engine/evaluate.js'
import {compileCommandGlob} from '../engine/glob.js'
import {PolicyError, type SourcePos} from '../errors.js'
import {findProjectRoot, loadPolicy, type LoadOptions, type PolicySet} from '../policy/load.js'
import {readTestFile, type ParsedFile} from '../policy/parse.js'
import type {Action, PolicyFileDoc, TestCaseDoc} from '../policy/types.js'

export interface SuiteOptions {
  cwd: string
  /** How to load the policy when a suite does not name one. */
  load: LoadOptions
  /** Only cases whose name matches this glob. */
  filter?: string
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
  failure?: string
}

export interface SuiteReport {
  passed: number
  failed: number
  errors: number
  skipped: number
  total: number
  tests: CaseResult[]
  errorMessages: string[]
}

interface SuiteDoc {
  policy?: string
  tests?: TestCaseDoc[]
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

export function runSuites(files: readonly string[], options: SuiteOptions): SuiteReport {
  const report: SuiteReport = {passed: 0, failed: 0, errors: 0, skipped: 0, total: 0, tests: [], errorMessages: []}
  const filter = options.filter ? compileCommandGlob(options.filter) : undefined
  for (const f of files) {
    const file = resolve(options.cwd, f)
    const parsed = readTestFile<SuiteDoc & PolicyFileDoc>(file)
    const doc = parsed.doc
    const cases = doc.tests ?? []
    if (cases.length === 0) continue
    const policy = policyFor(file, parsed, options)
    for (const [i, tc] of cases.entries()) {
      if (filter && !filter.test(tc.name)) {
        report.skipped++
        continue
      }
      const result = runCase(tc, policy, file, parsed.locate(['tests', i]))
      report.tests.push(result)
      report.total++
      if (result.got === 'error') report.errors++
      else if (result.passed) report.passed++
      else report.failed++
    }
  }
  return report
}

function isPolicyFile(doc: SuiteDoc & PolicyFileDoc): boolean {
  return doc.policies !== undefined || doc.version !== undefined || doc.default_action !== undefined
}

/**
 * The policy a suite runs against. A suite naming `policy:` and a policy file with inline tests test that file
 * alone (no global or project layers), so results do not depend on the machine; a repository's own
 * .rampart/policy.yaml and suites without `policy:` get the layered policy, as real calls would.
 */
function policyFor(file: string, parsed: ParsedFile<SuiteDoc & PolicyFileDoc>, options: SuiteOptions): PolicySet {
  const doc = parsed.doc
  const base: LoadOptions = {...options.load, cwd: dirname(file)}
  if (isPolicyFile(doc)) {
    if (doc.policy !== undefined) {
      throw new PolicyError(parsed.locate(['policy'], true), "a policy file cannot name another policy with 'policy:'", 'move the tests to their own suite file')
    }
    const root = findProjectRoot(dirname(file))
    if (root && resolve(root, '.rampart', 'policy.yaml') === file) return loadPolicy(base)
    return loadPolicy({...base, config: file, noProject: true, noGlobal: true})
  }
  if (doc.policy !== undefined) {
    const target = resolve(dirname(file), doc.policy)
    if (!existsSync(target)) {
      throw new PolicyError(parsed.locate(['policy']), `the suite names ${doc.policy}, which does not exist`, 'fix the path; it is relative to the suite file')
    }
    return loadPolicy({...base, config: target, noProject: true, noGlobal: true})
  }
  return loadPolicy({...options.load})
}

function runCase(tc: TestCaseDoc, policy: PolicySet, file: string, pos: SourcePos): CaseResult {
  const tool = tc.tool ?? 'exec'
  const params: Record<string, unknown> = {...(tc.params ?? {})}
  for (const key of ['command', 'path', 'url'] as const) if (tc[key] !== undefined) params[key] = tc[key]
  const base = {name: tc.name, file, line: pos.line, expected: tc.expect}
  const call = callFromParams(tool, params, {
    agent: tc.agent ?? 'claude-code',
    session: tc.session ?? '',
    cwd: tc.cwd ? resolve(dirname(file), tc.cwd) : dirname(file),
    ...(tc.response !== undefined ? {response: tc.response} : {}),
    ...(tc.agent_depth !== undefined ? {agentDepth: tc.agent_depth} : {}),
  })
  if (call.command === undefined && call.path === undefined && call.url === undefined && Object.keys(params).length === 0) {
    return {...base, passed: false, got: 'error', message: '', rule: null, failure: `${file}:${pos.line}:${pos.col}: the case has no command, path, url or params — add params: {command: "..."}`}
  }
  const d = evaluate(policy, call, {headless: tc.headless ?? false})
  const rule = d.decided_by ? d.decided_by.policy : null
  const problems: string[] = []
  if (d.action !== tc.expect) problems.push(`expected ${tc.expect}, got ${d.action}${rule ? ` from ${rule}` : ' (default action)'}: ${d.message}`)
  if (tc.expect_message !== undefined && !compileCommandGlob(tc.expect_message).test(d.message)) {
    problems.push(`message ${JSON.stringify(d.message)} does not match ${JSON.stringify(tc.expect_message)}`)
  }
  if (tc.expect_rule !== undefined) {
    const [wantPolicy, wantIndex] = tc.expect_rule.split('#')
    const ok = d.decided_by !== null && d.decided_by.policy === wantPolicy && (wantIndex === undefined || String(d.decided_by.rule) === wantIndex)
    if (!ok) problems.push(`decided by ${d.decided_by ? `${d.decided_by.policy}#${d.decided_by.rule}` : 'the default action'}, expected ${tc.expect_rule}`)
  }
  return {...base, passed: problems.length === 0, got: d.action, message: d.message, rule, ...(problems.length ? {failure: problems.join('; ')} : {})}
}
