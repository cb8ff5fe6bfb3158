import {callText, fileLabel, summaryLine} from './format.js'
import type {DecisionChange, Outcome, PolicyDiff, RuleInfo} from './types.js'

/** The hidden marker the GitHub Action finds its sticky comment by (github.md "Behavioural diff"). */
export const MARKER = '<!-- rampart:policy-diff -->'
/** GitHub refuses comment bodies over 65,536 characters; keep a margin for what the Action may add. */
export const COMMENT_LIMIT = 65_000
/** Room kept free for the truncation note and the closing tags until the very end. */
const RESERVE = 400
const MAX_CELL = 300

/** Text safe inside a table cell: no HTML, no emphasis, no column breaks. */
export function cell(text: string): string {
  const flat = text.replace(/\s*[\r\n]+\s*/g, ' ')
  const cut = flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat
  return cut.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/([\\`*_[\]|~])/g, '\\$1')
}

/** An inline code span that survives backticks and pipes in the text (commands often have both). */
export function code(text: string): string {
  const flat = text.replace(/\s*[\r\n]+\s*/g, ' ')
  const cut = flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat
  const longest = Math.max(0, ...(cut.match(/`+/g) ?? []).map((m) => m.length))
  const fence = '`'.repeat(longest + 1)
  const pad = cut.startsWith('`') || cut.endsWith('`') || cut === '' ? ' ' : ''
  return `${fence}${pad}${cut.replace(/\|/g, '\\|')}${pad}${fence}`
}

function outcomeCell(o: Outcome): string {
  const rule = o.rule ? `${code(`${o.rule.policy}#${o.rule.rule}`)} ${cell(`${o.rule.file}:${o.rule.line}`)}` : 'default action'
  return `**${o.action}** · ${rule}`
}

function changeRow(c: DecisionChange): string {
  const where = `${c.source}: ${cell(c.name)} (${cell(c.where)}${c.occurrences > 1 ? `, ×${c.occurrences}` : ''})`
  return `| ${code(c.call.tool)} ${code(callText(c.call))} | ${outcomeCell(c.before)} | ${outcomeCell(c.after)} | ${where} |`
}

function ruleRef(x: RuleInfo): string {
  return `${code(`${x.policy}#${x.rule}`)} ${cell(`${x.file}:${x.line}`)}`
}

/** Appends while the text stays under the limit; counts what had to be left out. */
class Budget {
  private readonly parts: string[] = []
  private size = 0
  omitted = 0
  full = false

  constructor(private readonly limit: number) {}

  /** Add lines that must go together, if they fit with room for the closing note. */
  add(...lines: string[]): boolean {
    const text = lines.map((l) => `${l}\n`).join('')
    if (this.full || this.size + text.length + RESERVE > this.limit) {
      this.full = true
      return false
    }
    this.parts.push(text)
    this.size += text.length
    return true
  }

  /** Rows of a section: the heading only goes in with its first row. */
  section(heading: string[], rows: string[]): void {
    if (!rows.length) return
    const [first, ...rest] = rows
    if (!this.add(...heading, first as string)) {
      this.omitted += rows.length
      return
    }
    for (const row of rest) if (!this.add(row)) this.omitted++
  }

  /** Closing text is always added: the reserve was kept for it. */
  close(...lines: string[]): void {
    const text = lines.map((l) => `${l}\n`).join('')
    this.parts.push(text)
    this.size += text.length
  }

  get length(): number {
    return this.size
  }

  toString(): string {
    return this.parts.join('')
  }
}

/**
 * The PR comment (github.md): marker, one-line summary, loosenings, tightenings, rule changes, then the text diff
 * folded away. Everything is kept under `limit` characters; what does not fit is counted in a closing note, the
 * most important sections (loosenings) going in first.
 */
export function formatMarkdown(d: PolicyDiff, limit = COMMENT_LIMIT): string {
  const b = new Budget(limit)
  const loosen = d.changes.filter((c) => c.kind === 'loosening')
  const warn = loosen.length ? '⚠️ ' : d.summary.complete ? '✅ ' : '❌ '
  b.add(MARKER, '### Rampart policy diff', '', `${warn}${cell(summaryLine(d))} — ${cell(d.base.label)} → ${cell(d.head.label)}`)
  for (const side of [d.base, d.head]) if (side.error) b.add('', `❌ **Does not load:** ${cell(side.error)}`)

  const tableHead = ['| Call | Before | After | Source |', '|---|---|---|---|']
  b.section(['', `#### Loosenings, toward allow (${loosen.length})`, '', ...tableHead], loosen.map(changeRow))
  const tighten = d.changes.filter((c) => c.kind === 'tightening')
  b.section(['', `#### Tightenings (${tighten.length})`, '', ...tableHead], tighten.map(changeRow))

  const r = d.rules
  const ruleRows = [
    ...r.policies.map((p) => `| policy ${p.change} | ${code(p.policy)} | | ${cell(p.fields.join('; '))} |`),
    ...r.added.map((x) => `| added | ${ruleRef(x)} | ${x.action} | ${cell(x.summary)} |`),
    ...r.removed.map((x) => `| removed | ${ruleRef(x)} | ${x.action} | ${cell(x.summary)} |`),
    ...r.changed.map((x) => `| changed | ${ruleRef(x.after)} | ${x.before.action === x.after.action ? x.after.action : `${x.before.action} → ${x.after.action}`} | ${cell(x.before.summary)} → ${cell(x.after.summary)} |`),
    ...r.unexercised.map((x) => `| no longer exercised | ${ruleRef(x)} | ${x.action} | decided ${x.decided_at_base} call(s) at base, none now |`),
  ]
  b.section(['', '#### Rule changes', '', '| Change | Rule | Action | Conditions |', '|---|---|---|---|'], ruleRows)
  if (r.listed) {
    const at = r.listed.side === 'base' ? d.base.label : d.head.label
    b.section(['', `#### Rules at ${cell(at)} (the other side does not load)`, '', '| Rule | Action | Conditions |', '|---|---|---|'],
      r.listed.rules.map((x) => `| ${ruleRef(x)} | ${x.action} | ${cell(x.summary)} |`))
  }

  const swaps = d.changes.filter((c) => c.kind === 'rule')
  if (swaps.length && !b.full && b.add('', `<details><summary>Same action, decided by another rule (${swaps.length})</summary>`, '', ...tableHead)) {
    for (const c of swaps) if (!b.add(changeRow(c))) b.omitted++
    b.close('', '</details>')
  } else b.omitted += swaps.length

  if (d.files.length) {
    const patch = d.files.map((f) => f.patch).join('')
    const longest = Math.max(2, ...(patch.match(/`+/g) ?? []).map((m) => m.length))
    const fence = '`'.repeat(longest + 1)
    const summary = d.files.map((f) => cell(fileLabel(f))).join(', ')
    if (!b.full && b.add('', `<details><summary>Text diff: ${summary}</summary>`, '', `${fence}diff`)) {
      let cut = 0
      for (const line of patch.replace(/\n$/, '').split('\n')) if (!b.add(line)) cut++
      b.close(fence, '', '</details>')
      if (cut) b.close('', `_The text diff is cut short: ${cut} more line(s)._`)
    } else b.close('', `_The text diff (${d.files.length} file(s)) does not fit in this comment._`)
  }
  if (b.omitted) b.close('', `_Truncated to fit a GitHub comment: ${b.omitted} more row(s) not shown — run \`rampart policy diff\` locally for everything._`)
  return b.toString()
}
