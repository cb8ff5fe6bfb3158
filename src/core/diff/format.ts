import {ACTION_COLOR} from '../text.js'
import type {CallInfo, DecisionChange, FileChange, Outcome, PolicyDiff, RuleInfo} from './types.js'

const STATUS_LETTER: Record<FileChange['status'], string> = {added: 'A', removed: 'D', modified: 'M', renamed: 'R'}

export const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`

export function callText(call: CallInfo): string {
  return call.command ?? call.path ?? call.url ?? ''
}

export function ruleText(o: Outcome): string {
  return o.rule ? `${o.rule.policy}#${o.rule.rule} (${o.rule.file}:${o.rule.line})` : 'default action'
}

export function fileLabel(f: FileChange): string {
  if (f.status === 'renamed') return `${f.old_path} → ${f.new_path}${f.similarity !== undefined ? ` (${f.similarity}% similar)` : ''}`
  return (f.new_path ?? f.old_path) as string
}

/** The one-line summary shared by the terminal and the PR comment. */
export function summaryLine(d: PolicyDiff): string {
  const s = d.summary
  const parts: string[] = []
  const c = s.calls
  const total = c.test + c.corpus + c.recorded
  if (!s.complete) parts.push(`decisions not compared: ${[d.base, d.head].filter((x) => x.error).map((x) => x.label).join(' and ')} does not load`)
  else if (s.loosenings + s.tightenings + s.rule_only === 0) parts.push('no decision changes')
  else {
    parts.push(`${plural(s.loosenings, 'loosening')}, ${plural(s.tightenings, 'tightening')}${s.rule_only ? `, ${plural(s.rule_only, 'call')} decided by another rule` : ''}`)
  }
  if (d.rules.listed) parts.push(`rules not compared (${plural(d.rules.listed.rules.length, 'rule')} at ${d.rules.listed.side === 'base' ? d.base.label : d.head.label} listed)`)
  else parts.push(`rules: ${s.rules_added} added, ${s.rules_removed} removed, ${s.rules_changed} changed${s.rules_unexercised ? `, ${s.rules_unexercised} no longer exercised` : ''}`)
  parts.push(`${plural(total, 'call')} ${s.complete ? 'compared' : 'collected'} (${c.test.toLocaleString('en-US')} test, ${c.corpus.toLocaleString('en-US')} corpus, ${c.recorded.toLocaleString('en-US')} recorded; ${c.distinct.toLocaleString('en-US')} distinct)`)
  return parts.join(' · ')
}

/** The terminal report. `color` adds ANSI colours (the caller decides: a TTY and no NO_COLOR). */
export function formatText(d: PolicyDiff, color: boolean): string {
  const paint = (text: string, code: number) => (color ? `\u001B[${code}m${text}\u001B[0m` : text)
  const action = (a: string) => paint(a, ACTION_COLOR[a] ?? 0)
  // a side that does not load is reported on stderr by the caller, as every error is
  const lines: string[] = [paint(`Policy diff: ${d.base.label} → ${d.head.label}`, 1), summaryLine(d)]

  if (d.files.length) {
    lines.push('', paint('Files', 1))
    for (const f of d.files) lines.push(`  ${STATUS_LETTER[f.status]} ${fileLabel(f)}`)
    for (const f of d.files) {
      lines.push('')
      for (const line of f.patch.replace(/\n$/, '').split('\n')) {
        if (line.startsWith('+++') || line.startsWith('---')) lines.push(paint(line, 1))
        else if (line.startsWith('+')) lines.push(paint(line, 32))
        else if (line.startsWith('-')) lines.push(paint(line, 31))
        else if (line.startsWith('@@')) lines.push(paint(line, 36))
        else lines.push(line)
      }
    }
  }

  const section = (title: string, list: DecisionChange[], code: number) => {
    if (!list.length) return
    lines.push('', paint(`${title} (${list.length})`, code))
    for (const c of list) {
      lines.push(`  ${action(c.before.action)} → ${action(c.after.action)}  ${c.call.tool}  ${callText(c.call)}`)
      lines.push(`      ${c.source}: ${c.name} (${c.where}${c.occurrences > 1 ? `, ${c.occurrences} occurrences` : ''})`)
      lines.push(`      before: ${ruleText(c.before)}   after: ${ruleText(c.after)}`)
    }
  }
  section('Loosenings, toward allow', d.changes.filter((c) => c.kind === 'loosening'), 31)
  section('Tightenings', d.changes.filter((c) => c.kind === 'tightening'), 33)
  section('Same action, decided by another rule', d.changes.filter((c) => c.kind === 'rule'), 36)

  const r = d.rules
  if (r.added.length + r.removed.length + r.changed.length + r.unexercised.length + r.policies.length) {
    const ref = (x: RuleInfo) => `${x.policy}#${x.rule} ${x.action} (${x.file}:${x.line})`
    lines.push('', paint('Rules', 1))
    for (const p of r.policies) lines.push(`  policy ${p.policy} ${p.change}${p.fields.length ? `: ${p.fields.join('; ')}` : ''}`)
    for (const x of r.added) lines.push(`  ${paint('+', 32)} ${ref(x)}  ${x.summary}`)
    for (const x of r.removed) lines.push(`  ${paint('-', 31)} ${ref(x)}  ${x.summary}`)
    for (const x of r.changed) {
      lines.push(`  ${paint('~', 33)} ${x.after.policy}#${x.after.rule} ${x.before.action === x.after.action ? x.after.action : `${x.before.action} → ${x.after.action}`} (${x.after.file}:${x.before.line} → ${x.after.line})`)
      lines.push(`      was: ${x.before.summary}`, `      now: ${x.after.summary}`)
    }
    for (const x of r.unexercised) lines.push(`  unexercised: ${ref(x)} decided ${plural(x.decided_at_base, 'call')} at base, none now`)
  }
  if (r.listed) {
    lines.push('', paint(`Rules at ${r.listed.side === 'base' ? d.base.label : d.head.label} (the other side does not load)`, 1))
    for (const x of r.listed.rules) lines.push(`  ${x.policy}#${x.rule} ${x.action} (${x.file}:${x.line})  ${x.summary}`)
  }
  if (d.warnings.length) lines.push('', paint('Warnings', 33), ...d.warnings.map((w) => `  ${w}`))
  return lines.join('\n')
}
