import {readFileSync} from 'node:fs'
import {parseArgs} from 'node:util'

import {decideHook, MAX_PAYLOAD_BYTES, type HookAnswer} from '../core/hook/claude-code.js'
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
export function runHook(args: string[], stdin: () => string = readStdin): 0 {
  let answer: HookAnswer
  try {
    let values: {config?: string; profile?: string; 'no-project'?: boolean}
    try {
      values = parseArgs({args, options: HOOK_OPTIONS, strict: true, allowPositionals: false}).values
    } catch (error) {
      answer = {hookSpecificOutput: {hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: `Rampart: the hook command line is wrong (${(error as Error).message}); failing closed — fix the hook in the agent's settings`}}
      out(JSON.stringify(answer) + '\n')
      return 0
    }
    answer = decideHook(stdin(), {load: {...(values.config ? {config: values.config} : {}), ...(values.profile ? {profile: values.profile} : {}), noProject: values['no-project'] === true}})
  } catch (error) {
    answer = {hookSpecificOutput: {hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: `Rampart: internal error (${(error as Error).message}); failing closed`}}
  }
  out(JSON.stringify(answer) + '\n')
  return 0
}

function readStdin(): string {
  try {
    const buf = readFileSync(0)
    return buf.length > MAX_PAYLOAD_BYTES ? 'x'.repeat(MAX_PAYLOAD_BYTES + 1) : buf.toString('utf8')
  } catch {
    return ''
  }
}
