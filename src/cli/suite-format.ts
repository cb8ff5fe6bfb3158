import type {CoverageReport} from '../core/testing/coverage.js'
import type {MutationReport, SuiteReport} from '../core/testing/suite.js'
import {displayPath, paint} from './format.js'

export function formatSuite(report: SuiteReport, verbose: boolean): string {
  const lines: string[] = []
  for (const e of report.errorMessages) lines.push(paint(`ERROR ${e}`, 31))
  for (const r of report.tests) {
    if (r.passed && !verbose) continue
    const mark = r.passed ? paint('PASS', 32) : paint(r.got === 'error' ? 'ERROR' : 'FAIL', 31)
    lines.push(`${mark} ${r.name}  (${displayPath(r.file)}:${r.line})`)
    if (!r.passed) lines.push(`     ${r.failure ?? `expected ${r.expected}, got ${r.got}`}`)
    if (verbose) {
      const by = r.decided_by ? `${r.decided_by.policy}#${r.decided_by.rule} (${displayPath(r.decided_by.file)}:${r.decided_by.line})` : 'default action'
      lines.push(`     ${r.got} by ${by} in ${r.eval_us} µs — ${r.message}`)
    }
  }
  return lines.join('\n')
}

/** Compact: a summary, then only the rules that lack something (all rules with --verbose). */
export function formatCoverage(c: CoverageReport, verbose: boolean): string {
  const lines = [`Rule coverage: ${c.covered} of ${c.total} rules decided at least one case (${c.percent}%)`]
  const rows = c.rules.filter((r) => verbose || r.positive.length === 0 || r.negative.length === 0 || r.shadowed)
  if (rows.length === 0) return lines.join('\n')
  const name = (r: CoverageReport['rules'][number]) => `${r.policy}#${r.rule}`
  const width = Math.min(48, Math.max(...rows.map((r) => name(r).length), 4))
  lines.push(`  ${'RULE'.padEnd(width)}  ${'ACTION'.padEnd(6)}  ${'+CASES'.padStart(6)}  ${'NEAR-MISS'.padStart(9)}  WHERE / NOTE`)
  for (const r of rows) {
    const note = r.shadowed ? `never decides: ${r.shadowed}` : r.positive.length === 0 ? 'no case makes it decide' : r.negative.length === 0 ? 'no near-miss case that it rejects' : ''
    lines.push(`  ${name(r).padEnd(width)}  ${r.action.padEnd(6)}  ${String(r.positive.length).padStart(6)}  ${String(r.negative.length).padStart(9)}  ${displayPath(r.file)}:${r.line}${note ? `  ${note}` : ''}`)
  }
  return lines.join('\n')
}

export function formatMutations(m: MutationReport): string {
  const lines = m.bypasses.map((b) => `${paint('BYPASS', 31)} ${b.name}  (${displayPath(b.file)}:${b.line})\n       ${b.technique}: ${b.expected} → ${b.got}  ${b.command}`)
  lines.push(`Mutations: ${m.disguises} disguises of ${m.cases} deny/ask cases, ${m.bypasses.length} bypass${m.bypasses.length === 1 ? '' : 'es'}`)
  return lines.join('\n')
}
