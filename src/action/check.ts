import {mkdirSync, writeFileSync} from 'node:fs'
import {dirname, relative, resolve} from 'node:path'

import {policyDiff, formatMarkdown, MARKER, type PolicyDiff} from '../core/diff/index.js'
import {cell, code} from '../core/diff/markdown.js'
import {defaultLintTargets, lintFiles, type Finding} from '../core/lint/lint.js'
import {formatSarif, summaryLine} from '../core/lint/format.js'
import {rampartHome, userHome} from '../core/policy/load.js'
import {toJUnit} from '../core/testing/junit.js'
import {findSuiteTargets, runSuites, type SuiteReport} from '../core/testing/suite.js'
import {createGitHub, describe, statusOf, type GitHub} from './github.js'
import {readEvent, type ActionIO, type Env} from './io.js'

interface PullEvent {
  pull_request?: {
    number?: number
    base?: {sha?: string; repo?: {full_name?: string}}
    head?: {sha?: string; repo?: {full_name?: string} | null}
    labels?: Array<{name?: string}>
  }
}

/** GitHub shows at most 10 annotations of each kind per step; the job summary carries the whole list. */
const ANNOTATION_LIMIT = 10

/**
 * `mode: check` on a pull request: lint (annotations + full list in the job summary, optional SARIF), the test
 * suites (summary table, optional JUnit), and the behavioural diff as one sticky PR comment. Fails on lint errors,
 * failing tests, or a loosening without the opt-in label. Fork pull requests get annotations and the summary only.
 */
export async function runCheck(io: ActionIO): Promise<void> {
  const core = await import('@actions/core')
  const env = io.env ?? process.env
  const error = io.error ?? core.error
  const setOutput = io.setOutput ?? core.setOutput
  const summary = io.summary ?? core.summary
  const root = resolve(env.GITHUB_WORKSPACE || process.cwd())
  const event = readEvent<PullEvent>(env.GITHUB_EVENT_PATH) ?? {}
  const pr = event.pull_request
  const profile = io.getInput('profile') || 'standard'
  const failures: string[] = []
  const md: string[] = ['## Rampart policy check', '']

  // 1. lint
  const rHome = rampartHome(env)
  const targets = defaultLintTargets(root, rHome)
  const lint = lintFiles(targets, {cwd: root, home: userHome(env), rampartHome: rHome})
  const errors = lint.findings.filter((f) => f.severity === 'error')
  const warnings = lint.findings.filter((f) => f.severity === 'warning')
  for (const [list, annotate] of [[errors, error], [warnings, io.warning]] as const) {
    for (const f of list.slice(0, ANNOTATION_LIMIT)) annotate(`${f.message} — ${f.hint}`, {title: `${f.id} ${f.severity}`, file: relative(root, f.file), startLine: f.line, startColumn: f.col})
  }
  md.push(`### Lint: ${summaryLine(lint)}`, '')
  if (lint.findings.length > 0) md.push(findingsTable(lint.findings, root), '')
  if (lint.unreadable.length > 0) failures.push(`${lint.unreadable.length} policy file(s) cannot be read as YAML`)
  if (errors.length > 0) failures.push(`${errors.length} lint error(s)`)
  const sarifFile = io.getInput('sarif-file')
  if (sarifFile) writeOut(resolve(root, sarifFile), formatSarif(lint, root))
  setOutput('lint-errors', errors.length)
  setOutput('lint-warnings', warnings.length)

  // 2. test suites
  const suites = findSuiteTargets(root)
  let report: SuiteReport | undefined
  if (suites.length > 0) {
    report = runSuites(suites, {cwd: root, load: {cwd: root, env, profile}})
    // a suite file that cannot run is counted once, in invalidFiles (its entry in report.files carries the error)
    const broken = report.invalidFiles
    md.push(`### Tests: ${report.passed} passed, ${report.failed} failed${report.errors ? `, ${report.errors} errors` : ''}${broken ? `, ${broken} suite file(s) could not run` : ''}`, '', suitesTable(report, root), '')
    const failed = report.tests.filter((t) => !t.passed)
    if (failed.length > 0) {
      md.push('<details><summary>Failing cases</summary>', '', ...failed.slice(0, 200).map((t) => `- ${code(t.name)} (${cell(relative(root, t.file))}:${t.line}): expected ${t.expected}, got ${t.got}${t.failure ? ` — ${cell(t.failure)}` : ''}`), '', '</details>', '')
    }
    for (const m of report.errorMessages) error(m)
    if (report.failed + report.errors + broken > 0) failures.push(`${report.failed + report.errors} failing test case(s)${broken ? `, ${broken} suite file(s) that could not run` : ''}`)
    const junitFile = io.getInput('junit-file')
    if (junitFile) writeOut(resolve(root, junitFile), toJUnit(report))
  } else {
    md.push('### Tests: no suites (.rampart/tests/*.yaml)', '')
  }
  setOutput('tests-failed', report ? report.failed + report.errors : 0)

  // 3. behavioural diff against the pull request's base
  let diff: PolicyDiff | undefined
  const baseSha = pr?.base?.sha
  if (baseSha) {
    try {
      diff = await policyDiff({cwd: root, base: baseSha, head: undefined, profile, env})
    } catch (e) {
      failures.push(`the behavioural diff failed: ${(e as Error).message}`)
    }
  } else {
    io.info('not a pull request: no behavioural diff')
  }
  if (diff) {
    const labels = (pr?.labels ?? []).map((l) => l.name ?? '')
    const optIn = io.getInput('allow-loosening-label') || 'rampart-allow-loosening'
    const {loosenings, tightenings} = diff.summary
    setOutput('loosenings', loosenings)
    setOutput('tightenings', tightenings)
    if (!diff.summary.complete) failures.push(diff.head.error ?? diff.base.error ?? 'one side of the diff could not be loaded')
    if (loosenings > 0) {
      if (labels.includes(optIn)) io.info(`${loosenings} call(s) loosen; allowed by the '${optIn}' label`)
      else failures.push(`${loosenings} call(s) move toward allow — add the '${optIn}' label to the pull request if that is intended`)
    }
    const comment = formatMarkdown(diff)
    md.push(comment.replace(MARKER, '').trim(), '')
    const posted = await postDiff(io, env, pr, comment)
    if (!posted) io.info('the diff is in the job summary (no pull request comment)')
  } else {
    setOutput('loosenings', 0)
    setOutput('tightenings', 0)
  }

  md.push(failures.length ? `**Failed:** ${failures.join('; ')}` : '**Passed.**')
  summary.addRaw(md.join('\n'), true)
  await summary.write()
  if (failures.length) io.setFailed(`Rampart: ${failures.join('; ')}`)
}

/**
 * The one sticky comment: found by the hidden marker among the token owner's comments (paginated) and edited in
 * place, else created. Fork pull requests have a read-only token: nothing is posted. Returns whether it was posted.
 */
async function postDiff(io: ActionIO, env: Env, pr: PullEvent['pull_request'], body: string): Promise<boolean> {
  const token = io.getInput('token')
  const number = pr?.number
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/')
  if (io.getInput('comment') === 'false' || !token || number === undefined || !owner || !repo) return false
  const fork = pr?.head?.repo?.full_name !== undefined && pr.head.repo?.full_name !== pr.base?.repo?.full_name
  if (fork) {
    io.info('fork pull request: the token is read-only, so the diff goes to the job summary instead of a comment')
    return false
  }
  const gh: GitHub = createGitHub({token, baseUrl: env.GITHUB_API_URL, env, log: io.info})
  try {
    const mine = await botLogin(gh, env)
    const comments = await gh.paginate(gh.rest.issues.listComments, {owner, repo, issue_number: number, per_page: 100})
    const existing = (comments as Array<{id: number; body?: string | null; user?: {login?: string} | null}>).find((c) => (c.body ?? '').includes(MARKER) && (mine === undefined || c.user?.login === mine))
    if (existing) await gh.rest.issues.updateComment({owner, repo, comment_id: existing.id, body})
    else await gh.rest.issues.createComment({owner, repo, issue_number: number, body})
    return true
  } catch (e) {
    // a read-only token (forks, restricted permissions) must not fail the check: the summary has everything
    io.warning(`could not post the policy diff comment (${statusOf(e) ?? ''} ${describe(e)}); it is in the job summary`)
    return false
  }
}

/** Whose comments count as ours: the Actions bot for the workflow token, else the token's user. */
async function botLogin(gh: GitHub, env: Env): Promise<string | undefined> {
  if (env.RAMPART_GITHUB_LOGIN) return env.RAMPART_GITHUB_LOGIN
  try {
    return (await gh.rest.users.getAuthenticated()).data.login
  } catch {
    // the workflow token cannot read /user; its comments are by github-actions[bot]
    return 'github-actions[bot]'
  }
}

function writeOut(file: string, text: string): void {
  mkdirSync(dirname(file), {recursive: true})
  writeFileSync(file, text)
}

function findingsTable(findings: Finding[], root: string): string {
  const rows = findings.map((f) => `| ${f.severity} | ${f.id} | ${code(`${relative(root, f.file)}:${f.line}:${f.col}`)} | ${cell(f.message)} | ${cell(f.hint)} |`)
  return ['| severity | id | where | problem | fix |', '|---|---|---|---|---|', ...rows].join('\n')
}

function suitesTable(report: SuiteReport, root: string): string {
  const rows = report.files.map((f) => `| ${code(relative(root, f.file))} | ${f.tests} | ${f.passed} | ${f.failed} | ${f.errors}${f.error ? ` (${cell(f.error)})` : ''} |`)
  return ['| suite | cases | passed | failed | errors |', '|---|---|---|---|---|', ...rows].join('\n')
}
