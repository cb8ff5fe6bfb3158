import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import {createTwoFilesPatch, FILE_HEADERS_ONLY} from 'diff'

import type {CorpusCase} from '../bench/corpus.js'
import {evaluate, type Decision, type ToolCall} from '../engine/evaluate.js'
import {UsageError} from '../errors.js'
import {packageRoot} from '../package-root.js'
import {loadPolicy, profilePath, rampartHome, type PolicySet} from '../policy/load.js'
import {CallSet, type DistinctCall} from './calls.js'
import {loadCorporaInBackground} from './corpora.js'
import {classify, orderChanges} from './classify.js'
import {defaultBase, openRepo, pairFiles, readRevisionFiles, readWorktreeFiles, resolveCommit, showFile, type Repo} from './git.js'
import {compareRules, ruleKey, summariseRule} from './rules.js'
import {loadSide, type Side, type SideOptions} from './side.js'
import type {CallInfo, DecisionChange, FileChange, Outcome, PolicyDiff, RuleChanges, RuleInfo, SideInfo} from './types.js'

export const WORKTREE = 'worktree'
const BUILTIN_CORPUS = join(packageRoot(), 'corpus', 'builtin.yaml')

export interface DiffOptions {
  /** the folder the command runs in (inside the repository) */
  cwd: string
  /** default: the merge-base of HEAD with the default branch */
  base?: string | undefined
  /** a revision, or undefined / WORKTREE for the working tree */
  head?: string | undefined
  config?: string | undefined
  profile?: string | undefined
  /** corpus files on top of the built-in corpus */
  corpus?: readonly string[] | undefined
  env?: Record<string, string | undefined> | undefined
  /** the time expires_at is judged against, the same for both sides */
  now?: number | undefined
}

/**
 * The behavioural diff of the project policy between two revisions (cli.md `policy diff`): both sides are loaded
 * with the same built-in / --config / global layers, so only the project's change shows.
 */
export async function policyDiff(options: DiffOptions): Promise<PolicyDiff> {
  const cwd = resolve(options.cwd)
  // RAMPART_NO_PROJECT_POLICY would make both sides the same: the project policy is the thing compared
  const env = {...(options.env ?? process.env)}
  delete env.RAMPART_NO_PROJECT_POLICY
  const config = options.config === undefined ? undefined : resolve(cwd, options.config)
  if (config !== undefined && !existsSync(config)) throw new UsageError(`--config ${options.config}: no such file — pass the path of a policy YAML file`)
  if (options.profile !== undefined) profilePath(options.profile)
  const corpusFiles = [BUILTIN_CORPUS]
  for (const given of options.corpus ?? []) {
    const file = resolve(cwd, given)
    if (!existsSync(file)) throw new UsageError(`--corpus ${given}: no such file — pass the path of a corpus YAML file`)
    corpusFiles.push(file)
  }
  // the shared layers are checked once, up front: a broken global file is not a difference between revisions
  loadPolicy({cwd, env, noProject: true, ...(config ? {config} : {}), ...(options.profile ? {profile: options.profile} : {})})
  const background = loadCorporaInBackground(corpusFiles)
  // awaited by compare(); until then an early failure must not leave it rejected and unobserved
  background.corpora.catch(() => undefined)
  try {
    return await diffWith(options, cwd, env, config, corpusFiles, background.corpora)
  } catch (error) {
    background.stop()
    throw error
  }
}

async function diffWith(options: DiffOptions, cwd: string, env: Record<string, string | undefined>, config: string | undefined, corpusFiles: string[], corpora: Promise<CorpusCase[][]>): Promise<PolicyDiff> {
  const repo = await openRepo(cwd)
  const worktree = options.head === undefined || options.head === WORKTREE
  const headCommit = worktree ? undefined : await resolveCommit(repo, options.head as string, 'HEAD')
  const base = options.base !== undefined ? {revision: options.base, commit: await resolveCommit(repo, options.base, 'BASE')} : await defaultBase(repo, headCommit)
  const headInfo: SideInfo = {revision: worktree ? WORKTREE : (options.head as string), commit: headCommit ?? null, label: worktree ? 'working tree' : label(options.head as string, headCommit as string), project_policy: false, error: null}
  const baseInfo: SideInfo = {revision: base.revision, commit: base.commit, label: label(base.revision, base.commit), project_policy: false, error: null}

  const [baseFiles, headFiles] = await Promise.all([readRevisionFiles(repo, base.commit), worktree ? readWorktreeFiles(repo.root) : readRevisionFiles(repo, headCommit as string)])

  const tmp = mkdtempSync(join(tmpdir(), 'rampart-diff-'))
  try {
    const sideOptions = (commit: string | undefined): SideOptions => ({
      repoRoot: repo.root, cwd, rampartHome: rampartHome(env),
      load: {env, ...(config ? {config} : {}), ...(options.profile ? {profile: options.profile} : {})},
      fetchExtra: (path) => (commit ? showFile(repo, commit, path) : Promise.resolve(readIfFile(join(repo.root, path)))),
    })
    const baseSide = await loadSide(baseInfo, baseFiles, join(tmp, 'base'), sideOptions(base.commit))
    const headSide = await loadSide(headInfo, headFiles, join(tmp, 'head'), sideOptions(headCommit))
    const files = await fileChanges(tmp, baseSide, headSide)
    return await compare(repo, baseSide, headSide, files, corpora, corpusFiles, options.now ?? Date.now())
  } finally {
    rmSync(tmp, {recursive: true, force: true})
  }
}

function label(revision: string, commit: string): string {
  const short = commit.slice(0, 7)
  const mergeBase = /^merge-base\((.+), (.+)\)$/.exec(revision)
  if (mergeBase) return `merge-base of ${mergeBase[1]} and ${mergeBase[2]} (${short})`
  return revision.startsWith(short) ? short : `${revision} (${short})`
}

function readIfFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

async function fileChanges(tmp: string, base: Side, head: Side): Promise<FileChange[]> {
  const yaml = (s: Side) => [...s.files.keys()].some((p) => /\.ya?ml$/i.test(p))
  if (!yaml(base) && !yaml(head)) return []
  const pairs = await pairFiles(tmp, 'base', 'head')
  return pairs.map((p) => {
    const before = p.oldPath === null ? '' : (base.files.get(p.oldPath) ?? '')
    const after = p.newPath === null ? '' : (head.files.get(p.newPath) ?? '')
    const patch = createTwoFilesPatch(p.oldPath === null ? '/dev/null' : `a/${p.oldPath}`, p.newPath === null ? '/dev/null' : `b/${p.newPath}`, before, after,
      undefined, undefined, {context: 3, headerOptions: FILE_HEADERS_ONLY})
    const change: FileChange = {status: p.status, old_path: p.oldPath, new_path: p.newPath, patch}
    if (p.similarity !== undefined) change.similarity = p.similarity
    return change
  })
}

/** A distinct call's outcome on both sides, with the keys of the deciding rules. */
interface Compared {
  before: Outcome
  after: Outcome
  bKey: string | undefined
  hKey: string | undefined
  project: boolean
}

async function compare(repo: Repo, base: Side, head: Side, files: FileChange[], corpora: Promise<CorpusCase[][]>, corpusFiles: string[], now: number): Promise<PolicyDiff> {
  const warnings = [...base.warnings, ...head.warnings]
  const calls = new CallSet()
  calls.addSuite(head.suites)
  calls.addSuite(base.suites)
  // the same recording on both sides is replayed once; the head's copy wins
  const recorded = new Map<string, string>()
  for (const side of [head, base]) {
    for (const [path, text] of side.files) if (path.endsWith('.jsonl') && !recorded.has(path)) recorded.set(path, text)
  }
  for (const [path, text] of recorded) {
    const bad = calls.addRecorded(path, text, repo.root)
    if (bad) warnings.push(`${path}: ${bad} line(s) are not recorded calls and were skipped — regenerate it with rampart audit export --calls`)
  }

  const results = new Map<string, Compared>()
  const evaluateNew = () => {
    if (!base.set || !head.set) return
    for (const c of calls.distinct) {
      if (results.has(c.key)) continue
      // both sides back to back: the shell analysis of the command is still in the engine's memo for the second
      const b = evaluate(base.set, c.call, {headless: c.headless, now})
      const h = evaluate(head.set, c.call, {headless: c.headless, now})
      results.set(c.key, {before: outcome(b, base), after: outcome(h, head), bKey: deciderKey(b, base), hKey: deciderKey(h, head), project: b.decided_by?.layer === 'project'})
    }
  }
  // the suites and recordings are replayed while the corpus is still being parsed
  evaluateNew()
  const parsed = await corpora
  parsed.forEach((cases, i) => {
    const file = corpusFiles[i] as string
    calls.addCorpus(cases, () => (file === BUILTIN_CORPUS ? 'builtin:corpus/builtin.yaml' : head.display(file)), repo.root)
  })
  evaluateNew()

  const rules: RuleChanges = {added: [], removed: [], changed: [], unexercised: [], policies: []}
  let map = new Map<string, string>()
  if (base.project && head.project) {
    const cmp = compareRules(base.project, head.project)
    Object.assign(rules, cmp.changes)
    map = cmp.map
  } else if (base.project || head.project) {
    const [side, policies] = base.project ? ['base' as const, base.project] : ['head' as const, head.project ?? []]
    rules.listed = {side, rules: policies.flatMap((p) => p.rules.map((r, i) => ({policy: p.name, rule: i + 1, file: p.file, line: r.line, action: r.doc.action, summary: summariseRule(r.doc)})))}
  }
  // project rules are paired by the rule comparison; every other layer is the same file on both sides
  const counterpart = (k: string, project: boolean) => (project ? map.get(k) : k)
  const changes: DecisionChange[] = []
  const baseCounts = new Map<string, number>()
  const headCounts = new Map<string, number>()
  const distinct = calls.distinct
  for (const c of distinct) {
    const r = results.get(c.key)
    if (!r) continue
    if (r.bKey) baseCounts.set(r.bKey, (baseCounts.get(r.bKey) ?? 0) + 1)
    if (r.hKey) headCounts.set(r.hKey, (headCounts.get(r.hKey) ?? 0) + 1)
    const same = r.bKey === undefined ? r.hKey === undefined : counterpart(r.bKey, r.project) === r.hKey
    const kind = classify(r.before, r.after, same)
    if (kind) changes.push({source: c.source, name: c.name, where: c.where, occurrences: c.occurrences, call: callInfo(c, repo.root), before: r.before, after: r.after, loosening: kind === 'loosening', kind})
  }
  const complete = base.set !== undefined && head.set !== undefined
  if (complete) rules.unexercised = unexercised(base, head, baseCounts, headCounts, counterpart)
  const ordered = orderChanges(changes)
  const count = (k: DecisionChange['kind']) => ordered.filter((c) => c.kind === k).length
  return {
    base: base.info,
    head: head.info,
    files,
    changes: ordered,
    rules,
    summary: {
      loosenings: count('loosening'),
      tightenings: count('tightening'),
      rule_only: count('rule'),
      calls: {...calls.counts, distinct: distinct.length},
      files_changed: files.length,
      rules_added: rules.added.length,
      rules_removed: rules.removed.length,
      rules_changed: rules.changed.length,
      rules_unexercised: rules.unexercised.length,
      complete,
    },
    warnings: [...new Set(warnings)],
  }
}

function deciderKey(d: Decision, side: Side): string | undefined {
  const by = d.decided_by
  return by ? ruleKey(side.display(by.file), by.policy, by.rule) : undefined
}

function outcome(d: Decision, side: Side): Outcome {
  const by = d.decided_by
  return {action: d.action, rule: by ? {policy: by.policy, rule: by.rule, file: side.display(by.file), line: by.line} : null}
}

function callInfo(c: DistinctCall, repoRoot: string): CallInfo {
  const call: ToolCall = c.call
  const out: CallInfo = {tool: call.tool}
  if (call.command !== undefined) out.command = call.command
  if (call.path !== undefined) out.path = call.path
  if (call.url !== undefined) out.url = call.url
  if (call.agent !== undefined) out.agent = call.agent
  if (call.session) out.session = call.session
  if (call.cwd !== undefined && call.cwd !== repoRoot) out.cwd = call.cwd
  return out
}

/** A rule still present at HEAD that decided calls at BASE and decides none now. */
function unexercised(base: Side, head: Side, baseCounts: Map<string, number>, headCounts: Map<string, number>,
  counterpart: (k: string, project: boolean) => string | undefined): RuleChanges['unexercised'] {
  const headRules = ruleInfos(head)
  const baseRules = ruleInfos(base)
  const out: RuleChanges['unexercised'] = []
  for (const [key, n] of baseCounts) {
    const now = counterpart(key, baseRules.get(key)?.project ?? false)
    if (now === undefined || (headCounts.get(now) ?? 0) > 0) continue
    const rule = headRules.get(now)
    if (rule) out.push({...rule.info, decided_at_base: n})
  }
  return out.sort((a, b) => b.decided_at_base - a.decided_at_base || a.file.localeCompare(b.file) || a.line - b.line)
}

function ruleInfos(side: Side): Map<string, {info: RuleInfo; project: boolean}> {
  const out = new Map<string, {info: RuleInfo; project: boolean}>()
  const set: PolicySet | undefined = side.set
  for (const c of set?.compiled ?? []) {
    const file = side.display(c.file)
    for (const [pi, p] of (c.parsed.doc.policies ?? []).entries()) {
      for (const [ri, r] of (p.rules ?? []).entries()) {
        out.set(ruleKey(file, p.name, ri + 1), {
          info: {policy: p.name, rule: ri + 1, file, line: c.parsed.locate(['policies', pi, 'rules', ri]).line, action: r.action, summary: summariseRule(r)},
          project: c.layer === 'project',
        })
      }
    }
  }
  return out
}
