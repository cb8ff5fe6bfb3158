import {RANK} from '../engine/evaluate.js'
import type {CallSource, ChangeKind, DecisionChange, Outcome, RuleRef} from './types.js'

export {RANK}

const SOURCE_ORDER: Record<CallSource, number> = {test: 0, corpus: 1, recorded: 2}
const KIND_ORDER: Record<ChangeKind, number> = {loosening: 0, tightening: 1, rule: 2}

export function sameRule(a: RuleRef | null, b: RuleRef | null): boolean {
  if (a === null || b === null) return a === b
  return a.policy === b.policy && a.rule === b.rule && a.file === b.file
}

/**
 * What a before → after pair is, or undefined when nothing changed. `sameDecider` says whether the two deciding
 * rules are the same rule (line numbers move when a file is edited, so identity is decided by the caller).
 */
export function classify(before: Outcome, after: Outcome, sameDecider: boolean): ChangeKind | undefined {
  const delta = RANK[after.action] - RANK[before.action]
  if (delta < 0) return 'loosening'
  if (delta > 0) return 'tightening'
  return sameDecider ? undefined : 'rule'
}

/**
 * Loosenings first — the widest first (deny → allow before ask → watch) — then tightenings, then same-action rule
 * swaps; inside a group test cases before corpus cases before recorded calls, then the order they were found in.
 */
export function orderChanges(changes: readonly DecisionChange[]): DecisionChange[] {
  const span = (c: DecisionChange) => Math.abs(RANK[c.after.action] - RANK[c.before.action])
  return changes
    .map((c, i) => ({c, i}))
    .sort((x, y) => KIND_ORDER[x.c.kind] - KIND_ORDER[y.c.kind] || span(y.c) - span(x.c) || SOURCE_ORDER[x.c.source] - SOURCE_ORDER[y.c.source] || x.i - y.i)
    .map(({c}) => c)
}
