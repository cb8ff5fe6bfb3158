import {homedir} from 'node:os'
import {isAbsolute, resolve} from 'node:path'

import {evaluate, type Decision, type ToolCall} from '../engine/evaluate.js'
import {loadPolicy, rampartHome, type LoadOptions, type PolicySet} from '../policy/load.js'
import {detectHeadless, detectSession} from '../session/detect.js'
import {FileCallHistory} from '../state/call-history.js'
import {FileOnceLedger} from '../state/once-ledger.js'

/** The largest hook payload read; a larger one is denied (tool output can be big, but not this big). */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024

export interface HookOptions {
  env?: Record<string, string | undefined>
  load?: Omit<LoadOptions, 'cwd' | 'env'>
  /** An approval channel for asks in headless mode; none means deny. */
  channel?: ApprovalChannel
  /** The policy for a call's working folder, when the caller keeps policies loaded (rampart serve). */
  policyFor?: (cwd: string) => PolicySet
  /** Headless or not, when the caller knows better than the environment (rampart serve). */
  headless?: boolean
  /** Called with every real decision (audit trail, recorded calls); a throw fails the call closed. */
  onDecision?: (call: ToolCall, decision: Decision) => void
}

export type ChannelOutcome = 'approved' | 'denied' | 'unavailable'

/**
 * Where a headless `ask` goes (cli.md): a running server's queue, or PR comments in GitHub Actions. It answers
 * approved / denied, or unavailable when there is no such channel (then the hook denies).
 */
export interface ApprovalChannel {
  request(call: ToolCall, decision: Decision): ChannelOutcome | Promise<ChannelOutcome>
}

/** A decided call waiting for its answer: only a headless ask still needs the channel. */
interface Decided {
  event: string
  decision: Decision
  call: ToolCall
  headless: boolean
}

export type HookAnswer =
  | {hookSpecificOutput: {hookEventName: 'PreToolUse'; permissionDecision: 'allow' | 'deny' | 'ask'; permissionDecisionReason: string}}
  | {decision?: 'block'; reason?: string; hookSpecificOutput?: {hookEventName: 'PostToolUse'; additionalContext: string}}

const PATH_KEYS = ['file_path', 'notebook_path', 'path'] as const

/** Claude Code's tool names → Rampart's (approvals.md "The agent hook"). */
export function mapTool(name: string, input: Record<string, unknown>, cwd: string): ToolCall {
  const str = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : undefined)
  const path = PATH_KEYS.map(str).find((v) => v !== undefined)
  switch (name) {
    case 'Bash':
      return {tool: 'exec', command: str('command') ?? '', params: input}
    case 'Read': case 'Glob': case 'Grep': case 'LS':
      return {tool: 'read', path: path ?? cwd, params: input}
    case 'Write':
      return {tool: 'write', path: path ?? '', params: input}
    case 'Edit': case 'MultiEdit': case 'NotebookEdit':
      return {tool: 'edit', path: path ?? '', params: input}
    case 'WebFetch':
      return {tool: 'fetch', ...(str('url') !== undefined ? {url: str('url')} : {}), params: input}
    case 'WebSearch':
      return {tool: 'fetch', params: input}
    default:
      if (name.startsWith('mcp__')) return {tool: 'mcp', params: {...input, tool: name}}
      return {tool: name, params: input}
  }
}

const deny = (event: string, reason: string): HookAnswer => event === 'PostToolUse'
  ? {decision: 'block', reason: `Rampart: ${reason}`, hookSpecificOutput: {hookEventName: 'PostToolUse', additionalContext: `Rampart: ${reason}`}}
  : {hookSpecificOutput: {hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: `Rampart: ${reason}`}}

/**
 * Decide one Claude Code hook call. Never throws and never answers anything but a decision: malformed input, an
 * invalid policy, unwritable state or any internal error is a deny that says why (fail closed).
 */
export function decideHook(raw: string, options: HookOptions = {}): HookAnswer {
  const r = decideHookEither(raw, options, false)
  return r instanceof Promise ? deny('PreToolUse', 'internal error: an approval wait in a synchronous hook; failing closed') : r
}

/** decideHook for callers that can wait for an approval channel (rampart serve, a hook talking to a server). */
export async function decideHookAsync(raw: string, options: HookOptions = {}): Promise<HookAnswer> {
  return decideHookEither(raw, options, true)
}

/**
 * The answer now, or — when `canWait` — a promise of it while a headless ask waits for an asynchronous approval
 * channel. A caller that cannot wait treats such a channel as none (deny).
 */
export function decideHookEither(raw: string, options: HookOptions = {}, canWait = true): HookAnswer | Promise<HookAnswer> {
  const r = decide(raw, options)
  if (!('call' in r)) return r
  if (!needsChannel(r)) return answer(r, undefined)
  const failed = (error: unknown) => deny(r.event, `the approval channel failed (${(error as Error).message}); failing closed`)
  try {
    const outcome = options.channel?.request(r.call, r.decision) ?? 'unavailable'
    if (typeof outcome === 'string') return answer(r, outcome)
    if (!canWait) {
      outcome.catch(() => undefined)
      return answer(r, 'unavailable')
    }
    return outcome.then((o) => answer(r, o), failed)
  } catch (error) {
    return failed(error)
  }
}

const needsChannel = (r: Decided) => r.event === 'PreToolUse' && r.decision.action === 'ask' && r.headless

function decide(raw: string, options: HookOptions): HookAnswer | Decided {
  let event = 'PreToolUse'
  try {
    if (Buffer.byteLength(raw) > MAX_PAYLOAD_BYTES) return deny(event, `the hook payload is over ${MAX_PAYLOAD_BYTES / 1024 / 1024} MiB; failing closed`)
    if (raw.trim() === '') return deny(event, 'empty hook input on stdin; failing closed — is this running as a Claude Code hook?')
    let payload: unknown
    try {
      payload = JSON.parse(raw)
    } catch (error) {
      return deny(event, `the hook input is not valid JSON (${(error as Error).message}); failing closed`)
    }
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return deny(event, 'the hook input is not a JSON object; failing closed')
    const p = payload as Record<string, unknown>
    if (p.hook_event_name === 'PostToolUse') event = 'PostToolUse'
    const name = p.tool_name
    if (typeof name !== 'string' || !/^[A-Za-z][\w.:-]{0,127}$/.test(name)) return deny(event, `unrecognised tool name ${JSON.stringify(name)}; failing closed`)
    const input = p.tool_input
    if (!input || typeof input !== 'object' || Array.isArray(input)) return deny(event, `the ${name} call has no tool_input; failing closed`)
    const env = options.env ?? process.env
    const cwd = typeof p.cwd === 'string' && isAbsolute(p.cwd) ? p.cwd : process.cwd()
    const call = mapTool(name, input as Record<string, unknown>, cwd)
    if (call.path !== undefined && call.path !== '') call.path = resolve(cwd, call.path.replace(/^~(?=$|\/)/, env.HOME || homedir()))
    call.cwd = cwd
    call.agent = 'claude-code'
    call.session = detectSession(cwd, env).id
    if (event === 'PostToolUse') {
      const response = p.tool_response
      call.response = typeof response === 'string' ? response : JSON.stringify(response ?? '')
    }

    let policy: PolicySet
    try {
      policy = options.policyFor ? options.policyFor(cwd) : loadPolicy({...options.load, cwd, env})
    } catch (error) {
      return deny(event, `the policy cannot be loaded: ${(error as Error).message}`)
    }
    const home = rampartHome(env)
    const headless = options.headless ?? detectHeadless(env)
    const history = new FileCallHistory(home)
    const once = new FileOnceLedger(home)
    if (event === 'PreToolUse') {
      try {
        history.record(call.tool)
      } catch (error) {
        return deny(event, `cannot record the call in ${home}/state (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); failing closed — make RAMPART_HOME writable`)
      }
    }
    const d = evaluate(policy, call, {headless, history, once})
    if (d.once_key && event === 'PreToolUse') {
      try {
        if (!once.consume(d.once_key)) return deny(event, 'this single-use allow was already used by another call')
      } catch (error) {
        return deny(event, `cannot record the single-use allow (${(error as Error).message}); failing closed`)
      }
    }
    if (options.onDecision) {
      try {
        options.onDecision(call, d)
      } catch (error) {
        return deny(event, `${(error as Error).message}; failing closed`)
      }
    }
    return {event, decision: d, call, headless}
  } catch (error) {
    return deny(event, `internal error (${(error as Error).message}); failing closed — please report it`)
  }
}

function answer({event, decision: d, call, headless}: Decided, outcome: ChannelOutcome | undefined): HookAnswer {
  const reason = [`Rampart: ${d.message}${d.decided_by ? ` (${d.decided_by.policy})` : ''}`]
  if (event === 'PreToolUse' && d.action === 'deny' && d.suggestions.length > 0 && !d.suggestions[0]?.startsWith('#')) {
    reason.push('', `To allow this ${call.command !== undefined ? 'command' : 'call'}, run:`, ...d.suggestions.map((s) => `  ${s}`))
  }
  const text = reason.join('\n')
  if (event === 'PostToolUse') {
    return d.action === 'deny' ? {decision: 'block', reason: text, hookSpecificOutput: {hookEventName: 'PostToolUse', additionalContext: text}} : {}
  }
  if (d.action === 'ask' && headless) {
    if (outcome === 'approved') return {hookSpecificOutput: {hookEventName: 'PreToolUse', permissionDecision: 'allow', permissionDecisionReason: `${text} — approved`}}
    return {hookSpecificOutput: {hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: outcome === 'denied'
      ? `${text} — approval denied`
      : `${text} — approval needed, but this is a headless run with no approval channel (start rampart serve, or use the GitHub Action's PR approvals); denied`}}
  }
  const permission = d.action === 'deny' ? 'deny' : d.action === 'ask' ? 'ask' : 'allow'
  return {hookSpecificOutput: {hookEventName: 'PreToolUse', permissionDecision: permission, permissionDecisionReason: text}}
}
