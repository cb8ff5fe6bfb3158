import {join, resolve} from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand, EXIT_CODES_HELP} from '../cli/base.js'
import {displayPath, paint} from '../cli/format.js'
import {CATEGORIES, loadCorpus, SEVERITIES, type CorpusCase} from '../core/bench/corpus.js'
import {scoreCorpus, type BenchReport} from '../core/bench/score.js'
import {ExitCode, UsageError} from '../core/errors.js'
import {packageRoot} from '../core/package-root.js'
import {loadPolicy} from '../core/policy/load.js'

export default class Bench extends BaseCommand {
  static override summary = 'Score a policy against an attack corpus: coverage, weighted coverage, false positives.'
  static override description = `Runs every case of the corpus through the policy (nothing is executed). Coverage counts attack cases decided as expected (an ask counts for an expected deny unless --strict); weighted coverage weighs critical 3, high 2, medium 1; the false-positive rate is the share of benign cases (expected allow) that are denied or asked. The built-in corpus is corpus/builtin.yaml; corpus files in the Go tool's format load unchanged.

The policy is used alone (no global or project files), so scores are comparable between machines.
${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> bench',
    '<%= config.bin %> bench --policy .rampart/policy.yaml --min-coverage 90',
    '<%= config.bin %> bench --category exfiltration --verbose',
    '<%= config.bin %> bench --corpus my-attacks.yaml --strict --json',
  ]

  static override flags = {
    policy: Flags.string({description: 'Policy file to score (alone).', exclusive: ['profile']}),
    profile: Flags.string({description: 'Built-in profile to score (default: standard).'}),
    corpus: Flags.string({description: 'Corpus file (repeatable; default: the built-in corpus).', multiple: true}),
    category: Flags.string({description: `Only this category: ${CATEGORIES.join(', ')}.`}),
    severity: Flags.string({description: 'Only cases of at least this severity.', options: [...SEVERITIES]}),
    strict: Flags.boolean({description: 'An ask no longer counts for an expected deny.', default: false}),
    'min-coverage': Flags.integer({description: 'Exit 1 when coverage is below this percentage (0-100).', min: 0, max: 100}),
    verbose: Flags.boolean({description: 'List every case, not only gaps and false positives.', default: false}),
    perf: Flags.boolean({description: 'Also measure evaluation latency (p50/p99 µs) and decisions per second.', default: false}),
  }

  async run(): Promise<Omit<BenchReport, 'cases'> & {cases?: BenchReport['cases']}> {
    const {flags} = await this.parse(Bench)
    const cwd = process.cwd()
    const corpusFiles = flags.corpus?.length ? flags.corpus.map((f) => resolve(cwd, f)) : [join(packageRoot(), 'corpus', 'builtin.yaml')]
    let cases: CorpusCase[] = corpusFiles.flatMap((f) => loadCorpus(f))
    if (flags.category) {
      const known = [...new Set(cases.map((c) => c.category))].sort()
      if (!known.includes(flags.category)) throw new UsageError(`unknown category '${flags.category}' — use one of: ${known.join(', ')}`)
      cases = cases.filter((c) => c.category === flags.category)
    }
    if (flags.severity) {
      const rank = (s: string) => SEVERITIES.length - SEVERITIES.indexOf(s as (typeof SEVERITIES)[number])
      cases = cases.filter((c) => c.category === 'benign' || rank(c.severity) >= rank(flags.severity as string))
    }
    const policy = loadPolicy({cwd, noGlobal: true, noProject: true, eager: true, ...(flags.policy ? {config: flags.policy} : {}), ...(flags.profile ? {profile: flags.profile} : {})})
    const started = Date.now()
    const tty = process.stderr.isTTY === true && !this.jsonEnabled()
    let drew = false
    const report = scoreCorpus(policy, cases, {
      cwd, strict: flags.strict, perf: flags.perf,
      onProgress: (done, total) => {
        if (!tty || Date.now() - started < 1000) return
        const width = 30
        const filled = Math.round((done / total) * width)
        process.stderr.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`)
        drew = true
      },
    })
    if (drew) process.stderr.write('\r\u001B[K')
    const min = flags['min-coverage']
    if (min !== undefined && report.coverage < min) this.exitCode = ExitCode.checkFailed
    if (!this.jsonEnabled()) this.log(formatBench(report, {verbose: flags.verbose, policy: flags.policy ? displayPath(resolve(cwd, flags.policy)) : `profile ${flags.profile ?? 'standard'}`, corpus: corpusFiles.map((f) => displayPath(f)).join(', '), min}))
    if (flags.verbose) return report
    const summary: Omit<BenchReport, 'cases'> & {cases?: BenchReport['cases']} = {...report}
    delete summary.cases
    return summary
  }
}

function formatBench(r: BenchReport, o: {verbose: boolean; policy: string; corpus: string; min: number | undefined}): string {
  const lines = [
    `Rampart bench — ${o.policy} against ${o.corpus} (${r.total} cases)`,
    `Coverage           ${String(r.coverage).padStart(5)}%   ${r.attack_cases - r.gaps.length}/${r.attack_cases} attack cases decided as expected`,
    `Weighted coverage  ${String(r.weighted_coverage).padStart(5)}%   critical ×3, high ×2, medium ×1`,
    `False positives    ${String(r.false_positive_rate).padStart(5)}%   ${r.false_positives.length}/${r.benign_cases} benign cases denied or asked`,
  ]
  if (r.perf) lines.push(`Latency            p50 ${r.perf.p50_us} µs, p99 ${r.perf.p99_us} µs, ${r.perf.decisions_per_second} decisions/s`)
  lines.push('', `  ${'CATEGORY'.padEnd(22)}${'CASES'.padStart(6)}${'COVERED'.padStart(9)}${'COVERAGE'.padStart(10)}`)
  for (const [name, c] of Object.entries(r.categories).sort()) lines.push(`  ${name.padEnd(22)}${String(c.total).padStart(6)}${String(c.covered).padStart(9)}${`${c.coverage}%`.padStart(10)}`)
  const row = (x: BenchReport['cases'][number]) => `  ${x.id.padEnd(18)} ${x.severity.padEnd(8)} ${x.tool.padEnd(5)} expected ${x.expected}, got ${x.got}${x.rule ? ` (${x.rule})` : ''}  ${JSON.stringify(x.input)}`
  if (r.gaps.length) lines.push('', paint('Gaps:', 31), ...r.gaps.map(row))
  if (r.false_positives.length) lines.push('', paint('False positives:', 33), ...r.false_positives.map(row))
  if (o.verbose) lines.push('', 'All cases:', ...r.cases.map(row))
  if (o.min !== undefined && r.coverage < o.min) lines.push('', paint(`rampart: coverage ${r.coverage}% is below --min-coverage ${o.min}`, 31))
  return lines.join('\n')
}
