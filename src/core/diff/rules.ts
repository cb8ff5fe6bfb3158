import {diffArrays} from 'diff'

import type {ParsedFile} from '../policy/parse.js'
import type {PolicyFileDoc, RuleDoc} from '../policy/types.js'
import type {RuleChanges, RuleInfo} from './types.js'

/** One project policy as the rule comparison sees it. */
export interface PolicyRules {
  /** display path of the file */
  file: string
  name: string
  /** everything about the policy except its rules, for policy-level changes */
  settings: Record<string, unknown>
  rules: Array<{doc: RuleDoc; line: number}>
}

export function policiesOf(parsed: ParsedFile<PolicyFileDoc>, file: string): PolicyRules[] {
  return (parsed.doc.policies ?? []).map((p, pi) => ({
    file,
    name: p.name,
    settings: {priority: p.priority ?? 100, enabled: p.enabled ?? true, match: p.match ?? {}, description: p.description ?? ''},
    rules: (p.rules ?? []).map((doc, ri) => ({doc, line: parsed.locate(['policies', pi, 'rules', ri]).line})),
  }))
}

/** The identity of a rule across revisions: file, policy and index, never the line (lines move). */
export function ruleKey(file: string, policy: string, index: number): string {
  return `${file}#${policy}#${index}`
}

/** JSON with sorted keys, so that reordering keys in YAML is not a change. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** `added` is bookkeeping (when `rampart allow` wrote the rule), not behaviour. */
function ruleContent(doc: RuleDoc): string {
  const copy: Partial<RuleDoc> = {...doc}
  delete copy.added
  return canonical(copy)
}

export function summariseRule(doc: RuleDoc): string {
  const when = Object.entries(doc.when ?? {}).filter(([, v]) => v !== undefined)
  const conditions = when.length === 0 || doc.when?.default === true ? 'every call' : when.map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')
  const text = `${conditions}${doc.message ? ` — ${JSON.stringify(doc.message)}` : ''}`
  return text.length > 160 ? `${text.slice(0, 159)}…` : text
}

function info(p: PolicyRules, index: number): RuleInfo {
  const r = p.rules[index]
  if (!r) throw new Error(`rule ${index + 1} of ${p.name} is missing`)
  return {policy: p.name, rule: index + 1, file: p.file, line: r.line, action: r.doc.action, summary: summariseRule(r.doc)}
}

export interface RuleComparison {
  changes: Omit<RuleChanges, 'unexercised'>
  /** ruleKey at BASE → ruleKey at HEAD for every rule that survives (unchanged or changed) */
  map: Map<string, string>
}

/**
 * Rules added, removed and changed between two sets of project policies, paired by policy name. Inside a policy the
 * two rule lists are aligned by content (a longest common subsequence), so inserting a rule at the top shows one
 * added rule rather than every later rule "changed"; a removal next to an insertion at the same place is a change.
 */
export function compareRules(base: readonly PolicyRules[], head: readonly PolicyRules[]): RuleComparison {
  const changes: RuleComparison['changes'] = {added: [], removed: [], changed: [], policies: []}
  const map = new Map<string, string>()
  const headByName = new Map<string, PolicyRules>()
  for (const p of head) if (!headByName.has(p.name)) headByName.set(p.name, p)
  const baseNames = new Set<string>()
  for (const b of base) {
    if (baseNames.has(b.name)) continue
    baseNames.add(b.name)
    const h = headByName.get(b.name)
    if (!h) {
      changes.policies.push({policy: b.name, change: 'removed', fields: []})
      b.rules.forEach((_, i) => changes.removed.push(info(b, i)))
      continue
    }
    const fields = Object.keys(b.settings).filter((k) => canonical(b.settings[k]) !== canonical(h.settings[k]))
      .map((k) => `${k}: ${canonical(b.settings[k])} → ${canonical(h.settings[k])}`)
    if (b.file !== h.file) fields.push(`file: ${b.file} → ${h.file}`)
    if (fields.length) changes.policies.push({policy: b.name, change: 'changed', fields})
    alignRules(b, h, changes, map)
  }
  for (const h of headByName.values()) {
    if (baseNames.has(h.name)) continue
    changes.policies.push({policy: h.name, change: 'added', fields: []})
    h.rules.forEach((_, i) => changes.added.push(info(h, i)))
  }
  return {changes, map}
}

function alignRules(b: PolicyRules, h: PolicyRules, changes: RuleComparison['changes'], map: Map<string, string>): void {
  const parts = diffArrays(b.rules.map((r) => ruleContent(r.doc)), h.rules.map((r) => ruleContent(r.doc)))
  let bi = 0
  let hi = 0
  let removed: number[] = []
  let added: number[] = []
  const flush = () => {
    for (const [from, to] of pairEdits(b, removed, h, added)) {
      changes.changed.push({before: info(b, from), after: info(h, to)})
      map.set(ruleKey(b.file, b.name, from + 1), ruleKey(h.file, h.name, to + 1))
      removed = removed.filter((i) => i !== from)
      added = added.filter((i) => i !== to)
    }
    for (const i of removed) changes.removed.push(info(b, i))
    for (const i of added) changes.added.push(info(h, i))
    removed = []
    added = []
  }
  for (const part of parts) {
    if (part.removed) {
      for (let k = 0; k < part.count; k++) removed.push(bi++)
    } else if (part.added) {
      for (let k = 0; k < part.count; k++) added.push(hi++)
    } else {
      flush()
      for (let k = 0; k < part.count; k++) map.set(ruleKey(b.file, b.name, ++bi), ruleKey(h.file, h.name, ++hi))
    }
  }
  flush()
}

/** The words of a rule's conditions and message, for telling an edited rule from an unrelated one. */
function words(doc: RuleDoc): Set<string> {
  const out = new Set<string>()
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const w of v.split(/\s+/)) if (w) out.add(w)
    } else if (Array.isArray(v)) {
      v.forEach(walk)
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        out.add(`${k}:`)
        walk(x)
      }
    }
  }
  walk(doc.when ?? {})
  walk(doc.message ?? '')
  return out
}

function similarity(a: RuleDoc, b: RuleDoc): number {
  if (canonical(a.when ?? {}) === canonical(b.when ?? {})) return 1
  const x = words(a)
  const y = words(b)
  let shared = 0
  for (const w of x) if (y.has(w)) shared++
  const union = x.size + y.size - shared
  return union === 0 ? 1 : shared / union
}

/**
 * Which removed and added rules of one edited stretch are the same rule edited: one rule replaced by one rule in
 * the same place always is; otherwise the most similar pairs (same conditions, or half their words shared), so
 * that deleting one rule and editing its neighbour does not pair the wrong two.
 */
function pairEdits(b: PolicyRules, removed: number[], h: PolicyRules, added: number[]): Array<[number, number]> {
  if (removed.length === 1 && added.length === 1) return [[removed[0] as number, added[0] as number]]
  const candidates: Array<{from: number; to: number; score: number}> = []
  for (const from of removed) {
    for (const to of added) {
      const score = similarity((b.rules[from] as PolicyRules['rules'][number]).doc, (h.rules[to] as PolicyRules['rules'][number]).doc)
      if (score >= 0.5) candidates.push({from, to, score})
    }
  }
  candidates.sort((x, y) => y.score - x.score || x.from - y.from || x.to - y.to)
  const usedFrom = new Set<number>()
  const usedTo = new Set<number>()
  const pairs: Array<[number, number]> = []
  for (const c of candidates) {
    if (usedFrom.has(c.from) || usedTo.has(c.to)) continue
    usedFrom.add(c.from)
    usedTo.add(c.to)
    pairs.push([c.from, c.to])
  }
  return pairs.sort((x, y) => x[0] - y[0])
}
