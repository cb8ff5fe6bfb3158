import {createInterface} from 'node:readline'
import {homedir} from 'node:os'
import {basename, relative} from 'node:path'

import {Flags} from '@oclif/core'

import {clientToken} from '../core/approvals/secrets.js'
import {callFromTarget} from '../core/engine/call.js'
import {evaluate} from '../core/engine/evaluate.js'
import {RampartError, UsageError} from '../core/errors.js'
import {addOverride, defaultScope, detectTool, overrideFile, type OverrideTool, type Scope} from '../core/overrides/store.js'
import {loadPolicy, rampartHome} from '../core/policy/load.js'

export const overrideFlags = {
  global: Flags.boolean({description: 'Write to the global overrides (~/.rampart/policies/user-overrides.yaml).', exclusive: ['project']}),
  project: Flags.boolean({description: 'Write to the project policy (.rampart/policy.yaml).', exclusive: ['global']}),
  tool: Flags.string({description: 'Tool of the rule (default: detected — a path pattern applies to read, write and edit).', options: ['exec', 'read', 'write', 'edit']}),
  message: Flags.string({description: 'Reason shown when the rule fires.'}),
  yes: Flags.boolean({char: 'y', description: 'Skip the confirmation prompt.', default: false}),
  api: Flags.string({description: 'Address of a running rampart serve to reload.', default: 'http://127.0.0.1:9090'}),
  token: Flags.string({description: 'API token for the reload (default: RAMPART_TOKEN, else ~/.rampart/token).'}),
}

export interface OverrideOptions {
  action: 'allow' | 'deny'
  pattern: string
  global?: boolean | undefined
  project?: boolean | undefined
  tool?: string | undefined
  message?: string | undefined
  yes: boolean
  api: string
  token?: string | undefined
  cwd: string
  log: (line: string) => void
  json: boolean
}

const tilde = (file: string) => {
  const home = process.env.HOME || homedir()
  return file.startsWith(home + '/') ? '~' + file.slice(home.length) : file
}

/** `rampart allow` / `rampart block` (seed 003). */
export async function addRuleCommand(o: OverrideOptions): Promise<Record<string, unknown>> {
  if (!o.pattern.trim()) throw new UsageError('the pattern is empty — give the command or path to allow, e.g. rampart allow "npm install *"')
  const scope: Scope = o.global ? 'global' : o.project ? 'project' : defaultScope(o.cwd)
  const file = overrideFile(scope, o.cwd)
  const detected = detectTool(o.pattern)
  const tool: OverrideTool | 'path' = (o.tool as OverrideTool | undefined) ?? detected
  const toolLabel = tool === 'path' ? 'read, write, edit' : tool
  const where = scope === 'global' ? `global policy (${tilde(file)})` : `project policy (${relative(o.cwd, file) || file})`
  const summary = [`    Action:  ${o.action}`, `    Pattern: ${o.pattern}`, `    Tool:    ${toolLabel}`, ...(o.message ? [`    Message: ${o.message}`] : [])]

  // a project policy only tightens: an allow there cannot unblock what the user's policy blocks
  const warnings: string[] = []
  if (scope === 'project' && o.action === 'allow') {
    const policy = loadPolicy({cwd: o.cwd})
    const sample = callFromTarget(tool === 'path' ? 'read' : tool, o.pattern, {cwd: o.cwd, agent: 'claude-code'})
    const now = evaluate(policy, sample)
    if (now.action !== 'allow') {
      warnings.push(`this rule will have no effect: "${o.pattern}" is ${now.action === 'deny' ? 'denied' : now.action === 'ask' ? 'asked about' : 'watched'} by ${now.decided_by ? `'${now.decided_by.policy}'` : 'the default action'}, and a project policy can only tighten — use --global to unblock it for yourself: rampart allow --global "${o.pattern}"`)
    }
  }

  if (!o.json) {
    o.log(`  Adding rule to ${where}:`, )
    o.log('')
    for (const l of summary) o.log(l)
    for (const w of warnings) o.log(`\n  Warning: ${w}`)
    o.log('')
  }
  if (!o.yes) {
    if (!process.stdin.isTTY) throw new UsageError('no terminal to confirm the rule — pass --yes (-y) to add it without asking')
    if (!(await confirm('  Add this rule? [y/N] '))) throw new RampartError('cancelled — nothing was written', 1)
  }
  const {policy} = addOverride(file, {action: o.action, pattern: o.pattern, tool, ...(o.message ? {message: o.message} : {})})
  const active = activeRules(o.cwd)
  const reload = await reloadServer(o.api, o.token)
  if (!o.json) {
    o.log(`  ✓ Rule added to ${basename(file)}`)
    o.log('')
    for (const l of summary) o.log(l)
    o.log('')
    o.log(reload === 'reloaded' ? `  Policy reloaded (${active} rules active)` : `  Takes effect on the next call (${active} rules active)`)
  }
  return {action: o.action, pattern: o.pattern, tool: toolLabel, scope, file, policy, rules_active: active, reloaded: reload === 'reloaded', warnings}
}

export function activeRules(cwd: string): number {
  try {
    return loadPolicy({cwd}).policies.filter((p) => p.enabled).reduce((n, p) => n + p.rules.length, 0)
  } catch {
    return 0
  }
}

export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({input: process.stdin, output: process.stderr})
  try {
    const answer = await new Promise<string>((resolve) => rl.question(question, resolve))
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

/** Ask a running `rampart serve` to reload; silently skipped when none answers on the loopback address. */
export async function reloadServer(api: string, token?: string): Promise<'reloaded' | 'no-server' | 'failed'> {
  const secret = token || clientToken(rampartHome())
  try {
    const res = await fetch(new URL('/v1/policy/reload', api), {
      method: 'POST',
      headers: {'content-type': 'application/json', ...(secret ? {authorization: `Bearer ${secret}`} : {})},
      body: '{}',
      signal: AbortSignal.timeout(500),
    })
    return res.ok ? 'reloaded' : 'failed'
  } catch {
    return 'no-server'
  }
}

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return ''
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return iso
  const s = Math.max(0, Math.round((now - t) / 1000))
  const unit = (n: number, u: string) => `${n} ${u}${n === 1 ? '' : 's'} ago`
  if (s < 60) return 'just now'
  if (s < 3600) return unit(Math.floor(s / 60), 'minute')
  if (s < 86_400) return unit(Math.floor(s / 3600), 'hour')
  if (s < 86_400 * 14) return unit(Math.floor(s / 86_400), 'day')
  if (s < 86_400 * 60) return unit(Math.floor(s / (86_400 * 7)), 'week')
  return unit(Math.floor(s / (86_400 * 30)), 'month')
}
