import type {ToolCall} from './evaluate.js'

/** Parameter names agents use for the command, path and URL of a call (the reference reads the same aliases). */
const COMMAND_KEYS = ['command', 'cmd', 'input'] as const
const PATH_KEYS = ['file_path', 'path', 'file', 'filepath', 'target', 'notebook_path'] as const
const URL_KEYS = ['url', 'uri', 'href'] as const

export const TOOLS = ['exec', 'read', 'write', 'edit', 'fetch'] as const

function pick(params: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = params[k]
    if (typeof v === 'string') return v
  }
  return undefined
}

/** Build a ToolCall from a tool name and its raw parameters (hook input, test-suite `params:`). */
export function callFromParams(tool: string, params: Record<string, unknown>, extra: Partial<ToolCall> = {}): ToolCall {
  const call: ToolCall = {tool, params, ...extra}
  const command = tool === 'exec' ? pick(params, COMMAND_KEYS) : typeof params.command === 'string' ? params.command : undefined
  const path = pick(params, PATH_KEYS)
  const url = pick(params, URL_KEYS)
  if (command !== undefined) call.command = command
  if (path !== undefined) call.path = path
  if (url !== undefined) call.url = url
  return call
}

/** The call for `rampart test "<target>" --tool T`: the positional is a command, a path or a URL by tool. */
export function callFromTarget(tool: string, target: string, extra: Partial<ToolCall> = {}): ToolCall {
  switch (tool) {
    case 'exec': return {tool, command: target, params: {command: target}, ...extra}
    case 'fetch': return {tool, url: target, params: {url: target}, ...extra}
    default: return {tool, path: target, params: {path: target}, ...extra}
  }
}

/** What a call is about, as records show it: its command, path and URL, only those it has. */
export function subjectOf(call: {command?: string | undefined; path?: string | undefined; url?: string | undefined}): {command?: string; path?: string; url?: string} {
  return {...(call.command !== undefined ? {command: call.command} : {}), ...(call.path !== undefined ? {path: call.path} : {}), ...(call.url !== undefined ? {url: call.url} : {})}
}
