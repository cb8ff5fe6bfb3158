import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join, resolve} from 'node:path'

import type {PolicyError} from '../errors.js'
import {countGlobstars} from '../engine/glob.js'
import {compileFile, onlyCommandCondition, type CompiledFile, type CompiledPolicy, type CompiledRule, type Layer, type LintId} from '../policy/compile.js'
import {findProjectRoot, OVERRIDE_FILES} from '../policy/load.js'
import {parseYamlDocument, schemaProblems, type ParsedFile} from '../policy/parse.js'
import type {PolicyFileDoc, RuleDoc} from '../policy/types.js'
import {globCovers, ruleKey, shadowedRules} from '../testing/coverage.js'
import {LINT_RULE_BY_ID} from './rules.js'

export interface Finding {
  id: string
  severity: 'error' | 'warning'
  file: string
  line: number
  col: number
  message: string
  hint: string
}

export interface LintResult {
  files: string[]
  findings: Finding[]
  /** files that could not be read as YAML at all (exit 5) */
  unreadable: string[]
}

export interface LintOptions {
  cwd: string
  /** home folder for ~ in path patterns */
  home?: string
  /** $RAMPART_HOME, to recognise global and override files */
  rampartHome?: string
  now?: number
}

const severityOf = (id: string) => LINT_RULE_BY_ID.get(id)?.severity ?? 'error'

/** Default targets: the project policy, its test suites, and the global policy files. */
export function defaultLintTargets(cwd: string, rampartHome: string): string[] {
  const out: string[] = []
  const root = findProjectRoot(cwd)
  if (root) {
    const policy = join(root, '.rampart', 'policy.yaml')
    if (existsSync(policy)) out.push(policy)
    const tests = join(root, '.rampart', 'tests')
    try {
      for (const f of readdirSync(tests).sort()) if (/\.ya?ml$/.test(f)) out.push(join(tests, f))
    } catch {
      // no suites
    }
  }
  const global = join(rampartHome, 'policies')
  try {
    for (const f of readdirSync(global).sort()) if (/\.ya?ml$/.test(f)) out.push(join(global, f))
  } catch {
    // no global folder
  }
  return out
}

export function lintFiles(files: readonly string[], options: LintOptions): LintResult {
  const result: LintResult = {files: [], findings: [], unreadable: []}
  for (const f of files) {
    const file = resolve(options.cwd, f)
    result.files.push(file)
    const before = result.findings.length
    const text = lintOne(file, options, result)
    if (text !== undefined) applySuppressions(text, result, before)
  }
  return result
}

/**
 * `# rampart-lint-disable-file RAM107 RAM110` anywhere in a file, or `# rampart-lint-disable-next-line RAM103`
 * on the line above a finding, silences those warnings there. Errors are never silenced: the file would not load.
 */
function applySuppressions(text: string, result: LintResult, from: number): void {
  if (!text.includes('rampart-lint-disable')) return
  const lines = text.split(/\r?\n/)
  const fileWide = new Set<string>()
  const nextLine = new Map<number, Set<string>>()
  lines.forEach((line, i) => {
    const m = /#\s*rampart-lint-disable-(file|next-line)\s+((?:RAM\d{3}[\s,]*)+)/.exec(line)
    if (!m) return
    const ids = new Set((m[2] ?? '').split(/[\s,]+/).filter(Boolean))
    if (m[1] === 'file') for (const id of ids) fileWide.add(id)
    else nextLine.set(i + 2, ids)
  })
  const kept = result.findings.slice(from).filter((f) => f.severity === 'error' || !(fileWide.has(f.id) || nextLine.get(f.line)?.has(f.id)))
  result.findings.splice(from, result.findings.length - from, ...kept)
}

function add(result: LintResult, id: string, error: PolicyError | {pos: {file: string; line: number; col: number}; problem: string; hint: string}): void {
  result.findings.push({id, severity: severityOf(id), file: error.pos.file, line: error.pos.line, col: error.pos.col, message: error.problem, hint: error.hint})
}

function at(parsed: ParsedFile<unknown>, path: (string | number)[], key = false) {
  return parsed.locate(path, key)
}

/** Lint one file; returns its text when it could be read (for suppression comments). */
function lintOne(file: string, options: LintOptions, result: LintResult): string | undefined {
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch (error) {
    result.unreadable.push(file)
    add(result, 'RAM003', {pos: {file, line: 1, col: 1}, problem: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`, hint: 'check the path and permissions'})
    return
  }
  const nul = bytes.indexOf(0)
  if (nul >= 0) {
    result.unreadable.push(file)
    add(result, 'RAM003', {pos: {file, line: 1, col: 1}, problem: `binary content (a NUL byte at offset ${nul}); a policy is a YAML text file`, hint: 'pass only .yaml policy and suite files to rampart policy lint'})
    return
  }
  const text = bytes.toString('utf8')
  const {parsed, problems} = parseYamlDocument(text, file)
  for (const p of problems) add(result, 'RAM003', p)
  if (!parsed) {
    result.unreadable.push(file)
    return text
  }
  const doc = parsed.doc
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    add(result, 'RAM002', {pos: at(parsed, []), problem: 'the file must be a mapping (version:, policies:, ...)', hint: 'see `rampart policy schema`'})
    return text
  }
  const keys = Object.keys(doc)
  const isSuite = keys.includes('policy') || (keys.includes('tests') && !keys.some((k) => ['policies', 'version', 'default_action', 'notify'].includes(k)))
  const schema = schemaProblems(doc, parsed, isSuite ? 'suite' : 'policy')
  for (const {error, keyword, path} of schema) add(result, schemaId(keyword, path, error.problem), error)
  if (isSuite) {
    const policyPath = (doc as {policy?: unknown}).policy
    if (typeof policyPath === 'string' && !existsSync(resolve(dirname(file), policyPath))) {
      add(result, 'RAM014', {pos: at(parsed, ['policy']), problem: `the suite names ${policyPath}, which does not exist`, hint: 'fix the path; it is relative to the suite file'})
    }
    return text
  }
  if (schema.length > 0) return text // compiling a file that breaks the schema would only add noise
  lintPolicyFile(file, parsed as ParsedFile<PolicyFileDoc>, options, result)
  return text
}

function schemaId(keyword: string, path: string, problem: string): string {
  if (keyword === 'additionalProperties') return 'RAM001'
  if (keyword === 'enum' && /\/action$/.test(path)) return 'RAM005'
  if (path.includes('/call_count')) return 'RAM009'
  if (problem.includes('blank command_contains')) return 'RAM010'
  return 'RAM002'
}

function layerOf(file: string, options: LintOptions): Layer {
  const root = findProjectRoot(dirname(file))
  if (root && resolve(root, '.rampart', 'policy.yaml') === file) return 'project'
  if (options.rampartHome && dirname(file) === join(options.rampartHome, 'policies')) {
    return OVERRIDE_FILES.has(file.slice(file.lastIndexOf('/') + 1)) ? 'override' : 'global'
  }
  return 'config'
}

function lintPolicyFile(file: string, parsed: ParsedFile<PolicyFileDoc>, options: LintOptions, result: LintResult): void {
  const layer = layerOf(file, options)
  let compiled: CompiledFile
  try {
    compiled = compileFile(parsed, {
      layer, home: options.home ?? homedir(), caseInsensitivePaths: false, orderStart: 0,
      onProblem: (problem: PolicyError, id: LintId) => add(result, id, problem),
    })
  } catch (error) {
    add(result, 'RAM002', {pos: at(parsed, []), problem: `the policy cannot be compiled: ${(error as Error).message}`, hint: 'fix the errors above first'})
    return
  }
  const doc = parsed.doc
  const now = options.now ?? Date.now()
  const docRules = (pi: number): RuleDoc[] => doc.policies?.[pi]?.rules ?? []

  if (doc.default_action === 'log') add(result, 'RAM101', {pos: at(parsed, ['default_action']), problem: 'default_action: log is a deprecated alias', hint: 'write default_action: watch'})
  let anyDeny = false
  compiled.policies.forEach((p, pi) => {
    const raw = doc.policies?.[pi]
    if (raw?.priority === 0) add(result, 'RAM110', {pos: at(parsed, ['policies', pi, 'priority']), problem: `policy '${p.name}' has priority 0, which runs first here but means 100 in the reference tool`, hint: 'use 1 for "first" if the file is shared with the Go tool'})
    p.rules.forEach((r, ri) => {
      const path = ['policies', pi, 'rules', ri]
      const d = docRules(pi)[ri]
      if (r.action === 'deny' && r.declared !== 'webhook') anyDeny = true
      if (d?.action === 'log' || d?.action === 'require_approval') {
        add(result, 'RAM101', {pos: at(parsed, [...path, 'action']), problem: `action: ${d.action} is a deprecated alias`, hint: d.action === 'log' ? 'write action: watch' : 'write action: ask with ask: {audit: true}'})
      }
      if (r.when.never) add(result, 'RAM011', {pos: at(parsed, [...path, 'when']), problem: `rule ${r.index} of '${p.name}' has only negative conditions, so it never matches`, hint: 'add the positive condition the exclusion narrows, e.g. command_matches'})
      if (d?.once && r.action !== 'allow') add(result, 'RAM012', {pos: at(parsed, [...path, 'once']), problem: `once: true on a ${d.action} rule`, hint: 'once only applies to allow rules; remove it'})
      if (d?.ask && r.action !== 'ask') add(result, 'RAM105', {pos: at(parsed, [...path, 'ask'], true), problem: `ask options on a ${d.action} rule have no effect`, hint: 'remove them, or make the rule action: ask'})
      if (r.expiresAt !== undefined && r.expiresAt <= now) add(result, 'RAM109', {pos: at(parsed, [...path, 'expires_at']), problem: `rule ${r.index} of '${p.name}' expired on ${d?.expires_at ?? ''} and is skipped`, hint: 'delete the rule'})
      if (layer === 'project' && r.action === 'allow') add(result, 'RAM108', {pos: at(parsed, [...path, 'action']), problem: `allow rule ${r.index} of '${p.name}' has no effect: a project policy can only tighten`, hint: 'remove it; a user who wants it runs `rampart allow` for a durable override'})
      dialectFindings(parsed, path, d, result)
    })
  })
  if (compiled.defaultAction === 'allow' && !anyDeny) {
    add(result, 'RAM102', {pos: at(parsed, ['default_action']), problem: 'default_action: allow and no deny rule: this policy blocks nothing', hint: 'add deny rules for what must never run, or use default_action: deny'})
  }

  const sorted = [...compiled.policies].sort((a, b) => a.priority - b.priority || a.order - b.order)
  const shadowed = shadowedRules({policies: sorted})
  for (const p of sorted) {
    for (const r of p.rules) {
      const why = shadowed.get(ruleKey(p, r))
      if (why) add(result, 'RAM103', {pos: r.pos, problem: `rule ${r.index} of '${p.name}' can never fire: ${why}`, hint: 'remove it, or move it before the rule that hides it'})
    }
  }
  for (const [p, r, denier] of allowsThatNeverWin(sorted)) {
    add(result, 'RAM104', {pos: r.pos, problem: `allow rule ${r.index} of '${p.name}' can never win: '${denier.policy.name}' rule ${denier.rule.index} denies every command it covers`, hint: 'narrow the deny, or drop the allow'})
  }
  if (layer === 'project') askWithoutChannel(file, compiled, result)
}

/** An allow or deny decided by its command patterns alone (single-use allows included, unlike shadow analysis). */
function commandOnly(r: CompiledRule): boolean {
  return onlyCommandCondition(r.when) && r.expiresAt === undefined
}

function scopeCovers(outer: CompiledPolicy, inner: CompiledPolicy): boolean {
  if (outer.match.agent || outer.match.session) return false
  if (!outer.match.tool) return true
  const tools = inner.match.tool?.sources
  return tools !== undefined && tools.every((t) => outer.match.tool?.test(t))
}

/** Allows every command of which a deny elsewhere also matches: deny wins across policies whatever the priority. */
function allowsThatNeverWin(policies: CompiledPolicy[]): Array<[CompiledPolicy, CompiledRule, {policy: CompiledPolicy; rule: CompiledRule}]> {
  const denies: Array<{policy: CompiledPolicy; rule: CompiledRule}> = []
  for (const p of policies) for (const r of p.rules) if (r.action === 'deny' && commandOnly(r) && !r.when.commandNot) denies.push({policy: p, rule: r})
  const out: Array<[CompiledPolicy, CompiledRule, {policy: CompiledPolicy; rule: CompiledRule}]> = []
  for (const p of policies) {
    for (const r of p.rules) {
      if (r.action !== 'allow' || !commandOnly(r) || !r.when.command) continue
      const sources = r.when.command.sources
      const denier = denies.find((d) => d.policy !== p && scopeCovers(d.policy, p) && sources.every((src) => d.rule.when.command?.sources.some((g) => globCovers(g, src))))
      if (denier) out.push([p, r, denier])
    }
  }
  return out
}

const COMMAND_GLOB_FIELDS = ['command_matches', 'command_not_matches', 'url_matches', 'session_matches', 'session_not_matches'] as const

function dialectFindings(parsed: ParsedFile<PolicyFileDoc>, path: (string | number)[], d: RuleDoc | undefined, result: LintResult): void {
  for (const field of COMMAND_GLOB_FIELDS) {
    d?.when?.[field]?.forEach((g, gi) => {
      let why: string | undefined
      if (g.startsWith('*') && !g.endsWith('*') && countGlobstars(g) === 0) why = `the reference tool matches ${JSON.stringify(g)} anywhere and unanchored at the end (it would also match "${g.slice(1)}.bak")`
      else if (countGlobstars(g) > 0 && /(^|[^*])\*([^*]|$)/.test(g)) why = `with ** in the pattern, the reference tool's single * stops at '/' ("${g}" matches fewer commands there)`
      if (why) add(result, 'RAM107', {pos: at(parsed, [...path, 'when', field, gi]), problem: why, hint: 'fine if the file is only used with this tool; otherwise make the pattern mean the same in both'})
    })
  }
}

function askWithoutChannel(file: string, compiled: CompiledFile, result: LintResult): void {
  const root = findProjectRoot(dirname(file))
  if (!root) return
  const workflows = join(root, '.github', 'workflows')
  let ci: string[] = []
  try {
    ci = readdirSync(workflows).filter((f) => /\.ya?ml$/.test(f)).map((f) => readFileSync(join(workflows, f), 'utf8'))
  } catch {
    return // no CI here
  }
  if (ci.length === 0 || ci.some((text) => /rampart/i.test(text))) return
  compiled.policies.forEach((p) => p.rules.forEach((r) => {
    if (r.action === 'ask' && !r.headlessOnly) {
      add(result, 'RAM106', {pos: r.pos, problem: `ask rule ${r.index} of '${p.name}' will be denied in CI: the workflows configure no Rampart approval channel`, hint: 'add headless_only: true to make that explicit, or set up approvals (rampart serve or the Rampart GitHub Action)'})
    }
  }))
}
