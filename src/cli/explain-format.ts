import type {Explanation} from '../core/engine/explain.js'
import {ACTION_COLOR, displayPath, paint} from './format.js'

/** The text form of `rampart policy explain`. */
export function formatExplanation(x: Explanation, cwd = process.cwd()): string {
  const c = x.call
  const target = c.command ?? c.path ?? c.url ?? JSON.stringify(c.params ?? {})
  const lines = [
    `Call        ${c.tool}  ${target}`,
    `Context     session ${JSON.stringify(c.session ?? '')}, agent ${JSON.stringify(c.agent ?? '')}, ${x.headless ? 'headless' : 'interactive'}`,
  ]
  if (x.analysis) {
    lines.push(`Understood  ${x.analysis.normalized || '(empty)'}`)
    x.analysis.components.forEach((comp, i) => {
      const extra = comp.forms.filter((f) => f !== comp.text)
      lines.push(`            ${i + 1}. ${comp.text}${comp.privileged ? '   [privileged]' : ''}${extra.length ? `   also read as: ${extra.join(' | ')}` : ''}`)
    })
  }
  lines.push('Policies, in priority order')
  for (const p of x.policies) {
    const where = `${displayPath(p.file, cwd)}:${p.line}`
    if (p.state === 'out-of-scope') {
      lines.push(`  -  ${p.name}  out of scope: ${p.why ?? ''}  (${where})`)
      continue
    }
    if (p.state === 'not-reached') {
      lines.push(`  .  ${p.name}  not reached: ${p.why ?? ''}  (${where})`)
      continue
    }
    const result = p.result ? `  → ${paint(p.result, ACTION_COLOR[p.result] ?? 0)}` : '  → no rule matched'
    lines.push(`  ${p.result ? '*' : 'o'}  ${p.name}  priority ${p.priority}, ${p.layer}${p.replaces ? ` (replaces the built-in one)` : ''}  (${where})${result}`)
    for (const r of p.rules) {
      const state = r.outcome === 'matched' ? 'MATCH   ' : r.outcome === 'no-match' ? 'no match' : r.outcome
      const detail = r.conditions.map((cond) => `${cond.ok ? '✓' : '✗'} ${cond.field}: ${cond.detail}`).join('; ')
      lines.push(`       rule ${r.index} ${r.declared.padEnd(5)} line ${r.line}  ${state}  ${detail}`)
    }
  }
  for (const r of x.resolution) lines.push(`Resolution  ${r}`)
  const d = x.decision
  lines.push(`Decision    ${paint(d.action, ACTION_COLOR[d.action] ?? 0)} — ${d.message}`)
  return lines.join('\n')
}
