import type {CompiledPolicy, Layer} from '../policy/compile.js'
import type {PolicySet} from '../policy/load.js'
import type {Action, ActionName} from '../policy/types.js'
import {describeRule, evaluate, type ConditionReport, type Decision, type EvaluateOptions, type ToolCall, type TraceEvent} from './evaluate.js'
import {analyzeCommand} from './shell.js'

export interface ExplainedRule {
  index: number
  line: number
  action: Action
  declared: ActionName
  outcome: 'matched' | 'no-match' | 'expired' | 'spent'
  conditions: ConditionReport[]
}

export interface ExplainedPolicy {
  name: string
  file: string
  line: number
  layer: Layer
  priority: number
  /** in scope and evaluated; out of scope (match.* or disabled); not reached (a deny had already decided) */
  state: 'evaluated' | 'out-of-scope' | 'not-reached'
  why?: string
  replaces?: string
  rules: ExplainedRule[]
  /** the action of the rule that decided this policy's result, if one matched */
  result?: Action
}

export interface Explanation {
  call: ToolCall
  headless: boolean
  /** how the command was understood: the spellings rules are compared with */
  analysis?: {normalized: string; components: Array<{text: string; forms: string[]; privileged: boolean}>}
  policies: ExplainedPolicy[]
  decision: Decision
  /** why the final action won, in words */
  resolution: string[]
  defaultAction: {action: Action; from: string | undefined}
}

/**
 * The full trace of one decision (cli.md `rampart policy explain`). The decision is evaluate()'s own, computed
 * with a trace attached, so it is always the one `rampart test` gives for the same call.
 */
export function explain(set: PolicySet, call: ToolCall, options: Omit<EvaluateOptions, 'trace'> = {}): Explanation {
  const trace: TraceEvent[] = []
  const decision = evaluate(set, call, {...options, trace})
  const byPolicy = new Map<CompiledPolicy, ExplainedPolicy>()
  const entry = (p: CompiledPolicy): ExplainedPolicy => {
    let e = byPolicy.get(p)
    if (!e) {
      e = {name: p.name, file: p.file, line: p.pos.line, layer: p.layer, priority: p.priority, state: 'evaluated', rules: [], ...(p.replaces ? {replaces: p.replaces} : {})}
      byPolicy.set(p, e)
    }
    return e
  }
  for (const ev of trace) {
    if (ev.kind === 'out-of-scope') Object.assign(entry(ev.policy), {state: 'out-of-scope', why: ev.why})
    else if (ev.kind === 'not-reached') Object.assign(entry(ev.policy), {state: 'not-reached', why: 'a deny had already decided'})
    else if (ev.kind === 'rule') {
      const e = entry(ev.policy)
      const conditions = ev.outcome === 'matched' || ev.outcome === 'no-match' ? describeRule(set, call, ev.rule, options) : []
      e.rules.push({index: ev.rule.index, line: ev.rule.pos.line, action: ev.rule.action, declared: ev.rule.declared, outcome: ev.outcome, conditions})
      if (ev.outcome === 'matched') e.result = ev.rule.action
    }
  }
  // evaluated policies none of whose rules ran (no rules at all) still appear, in priority order
  const policies = set.policies.map((p) => byPolicy.get(p) ?? entry(p))

  const explanation: Explanation = {
    call,
    headless: options.headless === true,
    policies,
    decision,
    resolution: resolution(decision, set),
    defaultAction: {action: set.defaultAction, from: set.defaultFrom},
  }
  if (call.command !== undefined) {
    const a = analyzeCommand(call.command)
    explanation.analysis = {normalized: a.normalized, components: a.components.map((c) => ({text: c.text, forms: c.forms, privileged: c.privileged}))}
  }
  return explanation
}

function resolution(d: Decision, set: PolicySet): string[] {
  const out: string[] = []
  const by = d.decided_by
  if (!by && d.matched_rules.length === 0) {
    out.push(`no rule matched, so the default action applies: ${set.defaultAction}${set.defaultFrom ? ` (default_action in ${set.defaultFrom})` : ' (no file sets default_action: deny)'}`)
  } else if (!by) {
    out.push(`no rule that counts matched (project allows never loosen), so the default action applies: ${set.defaultAction}`)
  } else if (by.action === 'deny') {
    out.push(`'${by.policy}' rule ${by.rule} denies: a deny wins over every other result and ends evaluation`)
  } else {
    const others = d.matched_rules.filter((r) => r !== by && (r.policy !== by.policy || r.rule !== by.rule))
    if (by.layer === 'override') out.push(`'${by.policy}' is a durable override (${by.file}): its allow beats ask, watch and the default`)
    else out.push(`'${by.policy}' rule ${by.rule} gives ${by.action}, the most restrictive result (deny > ask > watch > allow)${others.length ? `; also matched: ${others.map((r) => `${r.policy} → ${r.action}`).join(', ')}` : ''}`)
  }
  for (const n of d.notes) out.push(n)
  if (d.action !== (by?.action ?? set.defaultAction) && d.action === 'deny' && d.headless_only) out.push('headless mode: an ask with headless_only becomes deny')
  return out
}
