import {callFromParams} from '../engine/call.js'
import {evaluate} from '../engine/evaluate.js'
import type {PolicySet} from '../policy/load.js'
import type {Action} from '../policy/types.js'
import type {CorpusCase, Severity} from './corpus.js'

export interface BenchOptions {
  /** An ask no longer counts for an expected deny. */
  strict?: boolean
  /** Measure evaluation latency too. */
  perf?: boolean
  cwd: string
  /** Called as cases complete (progress bar). */
  onProgress?: (done: number, total: number) => void
}

export interface CaseOutcome {
  id: string
  name: string
  category: string
  severity: Severity
  tool: string
  input: string
  expected: Action
  got: Action
  covered: boolean
  rule: string | null
  message: string
}

export interface CategoryScore {
  total: number
  covered: number
  coverage: number
}

export interface BenchReport {
  total: number
  attack_cases: number
  benign_cases: number
  /** percentages */
  coverage: number
  weighted_coverage: number
  false_positive_rate: number
  categories: Record<string, CategoryScore>
  gaps: CaseOutcome[]
  false_positives: CaseOutcome[]
  cases: CaseOutcome[]
  perf?: {p50_us: number; p99_us: number; decisions_per_second: number}
}

const WEIGHT: Record<Severity, number> = {critical: 3, high: 2, medium: 1}
const pct = (n: number, d: number) => (d === 0 ? 100 : Math.round((n / d) * 1000) / 10)

/**
 * Score a policy against a corpus (cli.md "Bench"). Attack cases count toward coverage (and severity-weighted
 * coverage); benign cases — expected allow — give the false-positive rate: any that is denied or asked. A policy
 * that denies everything therefore scores 100 % coverage and 100 % false positives, not well.
 */
export function scoreCorpus(policy: PolicySet, cases: readonly CorpusCase[], options: BenchOptions): BenchReport {
  const outcomes: CaseOutcome[] = []
  let lastTick = 0
  cases.forEach((c, i) => {
    const call = callFromParams(c.tool, c.input, {agent: 'claude-code', session: '', cwd: options.cwd})
    const d = evaluate(policy, call)
    const covered = c.expected === 'allow' ? d.action === 'allow' || d.action === 'watch'
      : d.action === c.expected || (!options.strict && c.expected === 'deny' && d.action === 'ask')
    outcomes.push({
      id: c.id, name: c.name, category: c.category, severity: c.severity, tool: c.tool, input: c.input.command ?? c.input.path ?? c.input.url ?? '',
      expected: c.expected, got: d.action, covered, rule: d.decided_by ? `${d.decided_by.policy}#${d.decided_by.rule}` : null, message: d.message,
    })
    if (options.onProgress && (i - lastTick >= 25 || i === cases.length - 1)) {
      lastTick = i
      options.onProgress(i + 1, cases.length)
    }
  })
  const attacks = outcomes.filter((o) => o.category !== 'benign')
  const benign = outcomes.filter((o) => o.category === 'benign')
  const weight = attacks.reduce((s, o) => s + WEIGHT[o.severity], 0)
  const weightCovered = attacks.filter((o) => o.covered).reduce((s, o) => s + WEIGHT[o.severity], 0)
  const categories: Record<string, CategoryScore> = {}
  for (const o of outcomes) {
    const cat = (categories[o.category] ??= {total: 0, covered: 0, coverage: 0})
    cat.total++
    if (o.covered) cat.covered++
  }
  for (const cat of Object.values(categories)) cat.coverage = pct(cat.covered, cat.total)
  const falsePositives = benign.filter((o) => !o.covered)
  const report: BenchReport = {
    total: outcomes.length,
    attack_cases: attacks.length,
    benign_cases: benign.length,
    coverage: pct(attacks.filter((o) => o.covered).length, attacks.length),
    weighted_coverage: pct(weightCovered, weight),
    false_positive_rate: benign.length === 0 ? 0 : pct(falsePositives.length, benign.length),
    categories,
    gaps: attacks.filter((o) => !o.covered),
    false_positives: falsePositives,
    cases: outcomes,
  }
  if (options.perf) report.perf = measure(policy, cases, options.cwd)
  return report
}

function measure(policy: PolicySet, cases: readonly CorpusCase[], cwd: string): NonNullable<BenchReport['perf']> {
  const calls = cases.map((c) => callFromParams(c.tool, c.input, {agent: 'claude-code', session: '', cwd}))
  for (let i = 0; i < 50; i++) for (const c of calls) evaluate(policy, c)
  const samples: number[] = []
  const start = performance.now()
  for (let r = 0; r < 20; r++) {
    for (const c of calls) {
      const t = performance.now()
      evaluate(policy, c)
      samples.push((performance.now() - t) * 1000)
    }
  }
  const elapsed = performance.now() - start
  samples.sort((a, b) => a - b)
  const at = (p: number) => Math.round((samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))] ?? 0) * 100) / 100
  return {p50_us: at(50), p99_us: at(99), decisions_per_second: Math.round((samples.length / elapsed) * 1000)}
}
