import {readFileSync} from 'node:fs'

import {AuditLog, decisionEvent} from '../core/audit/log.js'
import type {Decision, ToolCall} from '../core/engine/evaluate.js'
import {decideHookEither, deny, MAX_PAYLOAD_BYTES, type ApprovalChannel, type HookAnswer} from '../core/hook/claude-code.js'
import {serverChannel} from '../core/hook/server-channel.js'
import {rampartHome} from '../core/policy/load.js'
import {recordDecision} from '../core/state/decision-log.js'
import {out} from './write.js'

/** The flags of `rampart hook claude-code` (the oclif command declares the same ones; a test keeps them equal). */
export const HOOK_OPTIONS = {
  config: {type: 'string'},
  profile: {type: 'string'},
  'no-project': {type: 'boolean'},
} as const

/**
 * `rampart hook claude-code`: stdin → decision JSON on stdout, exit 0, whatever happens — a crash or a non-zero
 * exit would let Claude Code run the call. Bad flags are a deny too, not a usage error.
 */
export function runHook(args: string[], stdin: () => string = readStdin, extraChannel?: (env: NodeJS.ProcessEnv) => ApprovalChannel | undefined): 0 {
  let answer: HookAnswer | Promise<HookAnswer>
  try {
    let values: {config?: string; profile?: string; 'no-project'?: boolean}
    try {
      values = parseHookArgs(args)
    } catch (error) {
      answer = deny('PreToolUse', `the hook command line is wrong (${(error as Error).message}); failing closed — fix the hook in the agent's settings`)
      out(JSON.stringify(answer) + '\n')
      return 0
    }
    const env = process.env
    const home = rampartHome(env)
    answer = decideHookEither(stdin(), {
      load: {...(values.config ? {config: values.config} : {}), ...(values.profile ? {profile: values.profile} : {}), noProject: values['no-project'] === true},
      onDecision: (call, d) => recordHookDecision(home, call, d),
      // only consulted for a headless ask: a pull request's comments in GitHub Actions, else a local server
      channel: {request: async (call, d) => ((extraChannel ?? githubChannel)(env) ?? serverChannel(home, env))?.request(call, d) ?? 'unavailable'},
    })
  } catch (error) {
    answer = internalError(error)
  }
  if (answer instanceof Promise) {
    // a headless ask waiting for a person: the process stays up until the answer is written — but never past
    // Claude Code's own hook timeout, after which it would run the call: a deny goes out first
    let answered = false
    const watchdog = setTimeout(() => {
      if (answered) return
      answered = true
      out(JSON.stringify(deny('PreToolUse', 'the approval did not arrive before the hook had to answer; denied — approve sooner, or raise the hook timeout (RAMPART_HOOK_TIMEOUT and the timeout in the Claude Code settings)')) + '\n')
      process.exit(0)
    }, hookDeadlineMs(process.env))
    answer.catch(internalError).then((a) => {
      if (answered) return
      answered = true
      clearTimeout(watchdog)
      out(JSON.stringify(a) + '\n')
    }, () => undefined)
  } else {
    out(JSON.stringify(answer) + '\n')
  }
  return 0
}

/**
 * The PR-comment channel of an installed package, loaded only inside GitHub Actions (Octokit is far too heavy for
 * every hook call). The Action's own hook bundle passes it in directly instead.
 */
function githubChannel(env: NodeJS.ProcessEnv): ApprovalChannel | undefined {
  if (!env.GITHUB_ACTIONS) return undefined
  return {
    async request(call, d) {
      const {pathToFileURL} = await import('node:url')
      const {join} = await import('node:path')
      const {packageRoot} = await import('../core/package-root.js')
      const mod = (await import(pathToFileURL(join(packageRoot(), 'dist', 'action', 'channel.js')).href)) as typeof import('../action/channel.js')
      return (mod.githubChannelFromEnv(env) ?? serverChannel(rampartHome(env), env))?.request(call, d) ?? 'unavailable'
    },
  }
}

/**
 * The three hook flags, parsed by hand: loading node:util's parseArgs costs ~0.5 ms of a start-up budget of a few
 * milliseconds. As strict as parseArgs: an unknown flag, a missing value or a positional is an error (→ deny).
 */
export function parseHookArgs(args: readonly string[]): {config?: string; profile?: string; 'no-project'?: boolean} {
  const out: {config?: string; profile?: string; 'no-project'?: boolean} = {}
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    const eq = arg.indexOf('=')
    const name = arg.startsWith('--') ? arg.slice(2, eq === -1 ? undefined : eq) : undefined
    const spec = name === undefined ? undefined : (HOOK_OPTIONS as Record<string, {type: string}>)[name]
    if (name === undefined || spec === undefined) throw new Error(name === undefined ? `unexpected argument '${arg}'` : `unknown option '--${name}'`)
    if (spec.type === 'boolean') {
      if (eq !== -1) throw new Error(`option '--${name}' does not take a value`)
      out[name as 'no-project'] = true
      continue
    }
    const value = eq !== -1 ? arg.slice(eq + 1) : args[++i]
    if (value === undefined || (eq === -1 && value.startsWith('--'))) throw new Error(`option '--${name} <value>' needs a value`)
    out[name as 'config' | 'profile'] = value
  }
  return out
}

/**
 * How long the hook may take: Claude Code's hook timeout (RAMPART_HOOK_TIMEOUT seconds, which mode: setup exports
 * with the timeout it writes; else Claude Code's default of 60 s) less a margin to print the answer.
 */
export function hookDeadlineMs(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env.RAMPART_HOOK_TIMEOUT)
  const timeout = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 60_000
  return Math.max(1000, timeout - 3000)
}

const internalError = (error: unknown): HookAnswer => deny('PreToolUse', `internal error (${(error as Error).message}); failing closed`)

/**
 * Every real decision goes to the recorded-calls log (for the behavioural diff); denies and asks with
 * `audit: true` also go to the audit trail. A recorded ask that cannot be audited is denied (fail closed).
 */
function recordHookDecision(home: string, call: ToolCall, d: Decision): void {
  // PostToolUse re-checks a call already recorded before it ran
  if (call.response === undefined) recordDecision(home, call, d)
  if (d.action !== 'deny' && !(d.action === 'ask' && d.audit)) return
  try {
    new AuditLog(home).append(decisionEvent(call, d))
  } catch (error) {
    if (d.action === 'deny') return // denied anyway; the deny itself must still reach the agent
    throw error
  }
}

function readStdin(): string {
  try {
    const buf = readFileSync(0)
    return buf.length > MAX_PAYLOAD_BYTES ? 'x'.repeat(MAX_PAYLOAD_BYTES + 1) : buf.toString('utf8')
  } catch {
    return ''
  }
}
