import {resolve} from 'node:path'

import {callFromTarget} from '../core/engine/call.js'
import {evaluate, type Decision, type ToolCall} from '../core/engine/evaluate.js'
import {ExitCode, type ExitCodeValue} from '../core/errors.js'
import {loadPolicy, type PolicySet} from '../core/policy/load.js'
import {detectHeadless, detectSession} from '../core/session/detect.js'
import {ACTION_COLOR, displayPath, paint} from './format.js'
import {err, out} from './write.js'

/** Options of a `rampart test "<call>"` dry run, after flag parsing (by oclif or by the lean entry). */
export interface DryRunOptions {
  target: string
  tool: string
  agent: string
  session?: string | undefined
  headless?: boolean | undefined
  cwd?: string | undefined
  config?: string | undefined
  profile?: string | undefined
  noProject: boolean
}

export interface DryRunResult {
  decision: Decision
  warnings: string[]
  exitCode: ExitCodeValue
}

export function decisionExitCode(action: Decision['action']): ExitCodeValue {
  return action === 'deny' ? ExitCode.denied : action === 'ask' ? ExitCode.ask : ExitCode.ok
}

export interface PreparedCall {
  policy: PolicySet
  call: ToolCall
  headless: boolean
}

/** The layered policy and the call a dry run or an explanation is about. */
export function prepareCall(options: DryRunOptions): PreparedCall {
  const cwd = options.cwd ? resolve(options.cwd) : process.cwd()
  const policy = loadPolicy({
    cwd,
    noProject: options.noProject,
    ...(options.config ? {config: options.config} : {}),
    ...(options.profile ? {profile: options.profile} : {}),
  })
  const session = options.session ?? detectSession(cwd).id
  const headless = options.headless ?? detectHeadless()
  const call = callFromTarget(options.tool, options.target, {agent: options.agent, session, cwd})
  return {policy, call, headless}
}

/** Load the layered policy and decide one call. Throws PolicyError / UsageError for bad input. */
export function dryRun(options: DryRunOptions): DryRunResult {
  const {policy, call, headless} = prepareCall(options)
  const decision = evaluate(policy, call, {headless})
  return {decision, warnings: policy.warnings, exitCode: decisionExitCode(decision.action)}
}

export function formatDecision(d: Decision, cwd = process.cwd()): string {
  const lines = [`Decision: ${paint(d.action, ACTION_COLOR[d.action] ?? 0)}`]
  if (d.decided_by) {
    lines.push(`Matched:  ${d.decided_by.policy} (${displayPath(d.decided_by.file, cwd)}:${d.decided_by.line}, rule ${d.decided_by.rule})`)
  } else {
    lines.push('Matched:  no rule (default action)')
  }
  lines.push(`Message:  ${d.message}`)
  if (d.session) lines.push(`Session:  ${d.session}`)
  const others = d.matched_rules.filter((r) => r.policy !== d.decided_by?.policy || r.rule !== d.decided_by.rule)
  if (others.length > 0) lines.push(`Also:     ${others.map((r) => `${r.policy} → ${r.action}`).join(', ')}`)
  for (const n of d.notes) lines.push(`Note:     ${n}`)
  if (d.suggestions.length > 0) {
    const warningOnly = d.suggestions[0]?.startsWith('#')
    lines.push('', warningOnly ? 'No allow suggestion:' : `To allow this ${d.suggestions[0]?.includes('--tool') ? 'path' : 'command'}, run:`)
    for (const s of d.suggestions) lines.push(`  ${s.replace(/^# no allow suggestion: /, '')}`)
  }
  return lines.join('\n')
}

/** Print a dry run the way both entry points do: JSON on stdout, or text plus warnings on stderr. */
export function printDryRun(result: DryRunResult, json: boolean, cwd?: string): void {
  if (json) {
    out(JSON.stringify(result.decision, null, 2) + '\n')
    return
  }
  for (const w of result.warnings) err(`rampart: warning: ${w}\n`)
  out(formatDecision(result.decision, cwd) + '\n')
}
