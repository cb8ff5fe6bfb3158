import {readdirSync, realpathSync, statSync} from 'node:fs'
import {isAbsolute, join, posix, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {evaluate, hostOf, RANK, type Decision, type EvaluateOptions, type ToolCall} from '../engine/evaluate.js'
import {normalisePathPattern} from '../engine/glob.js'
import {picomatch} from '../lazy.js'
import {loadPolicy, rampartHome, userHome, type LoadOptions, type PolicySet} from '../policy/load.js'
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
      if (name.startsWith('mcp__')) return mapMcp(name, input, path)
      return {tool: name, params: input}
  }
}

/**
 * An MCP tool call keeps tool `mcp` and its parameters; a string `path` / `file_path` (or a `file://` uri),
 * `command` and `url` (or an http(s) uri) become the call's path, command and URL, so that path, command and URL
 * rules can match it. A URL that cannot be parsed is left out: the engine would deny the call for it.
 */
function mapMcp(name: string, input: Record<string, unknown>, path: string | undefined): ToolCall {
  const str = (k: string) => (typeof input[k] === 'string' && input[k] !== '' ? (input[k] as string) : undefined)
  const call: ToolCall = {tool: 'mcp', params: {...input, tool: name}}
  const uri = str('uri')
  const filePath = (path !== '' ? path : undefined) ?? (uri !== undefined && /^file:/i.test(uri) ? fileUriPath(uri) : undefined)
  if (filePath !== undefined) call.path = filePath
  const command = str('command')
  if (command !== undefined) call.command = command
  const url = str('url') ?? (uri !== undefined && /^https?:\/\//i.test(uri) ? uri : undefined)
  if (url !== undefined && hostOf(url) !== null) call.url = url
  return call
}

function fileUriPath(uri: string): string | undefined {
  try {
    return fileURLToPath(uri)
  } catch {
    // file://host/path: the path part, as a rule would want to see it
    try {
      return decodeURIComponent(new URL(uri).pathname) || undefined
    } catch {
      return undefined
    }
  }
}

// ----- directory searches (Grep, Glob) ------------------------------------------------------------------------

/**
 * Credential locations a directory search may reach, checked directly under the searched folder (and under the
 * home folder when the search covers it). The policy's own deny paths are added to these (searchAnchors).
 */
const SECRET_NAMES = ['.ssh', '.aws', '.gnupg', '.docker', '.kube', '.config/gcloud', '.netrc', '.env', '.npmrc', '.pypirc', '.git-credentials']
/** Entries looked at in a secret folder under the searched one, and in a searched folder that is a secret one. */
const ANCHOR_ENTRIES = 50
const INSIDE_ENTRIES = 100
/** Subfolders followed inside a secret folder (`.gnupg/private-keys-v1.d/…`). */
const WALK_DEPTH = 2
/** All paths one search is decided on, besides its folder. */
const MAX_CANDIDATES = 1000
const GLOB_CHARS = /[*?[\]{}()!+@\\]/

interface Anchors {
  /** Folder or file names relative to a searched folder (`.ssh`, `.config/gcloud`). */
  names: string[]
  /** Absolute folders or files (`/home/me/.ssh`, `/etc/shadow`). */
  absolute: string[]
}

const anchorCache = new WeakMap<PolicySet, Anchors>()

/**
 * Where the policy's restrictive path rules for reads point, as literal locations: the leading literal segments of
 * each pattern of the rules that look at the path only. Absolute and home patterns count for deny and ask rules;
 * patterns that match in any folder (`**\/.ssh/id_*`) only for deny rules, so an ask on, say, `**\/.git/hooks/**`
 * does not make every search of a repository ask.
 */
function searchAnchors(set: PolicySet): Anchors {
  let anchors = anchorCache.get(set)
  if (anchors) return anchors
  const names = new Set(SECRET_NAMES)
  const absolute = new Set<string>()
  for (const policy of set.forTool('read')) {
    for (const rule of policy.rules) {
      if (rule.action !== 'deny' && rule.action !== 'ask') continue
      const w = rule.when
      // a rule that also looks at the command, URL, output or parameters (`package.json` with a download in its
      // new content) is about what the call does, not about the file
      if (w.command || w.contains || w.envAssignments || w.url || w.domain || w.response || w.params) continue
      for (const source of w.path?.sources ?? []) {
        const pattern = posix.normalize(normalisePathPattern(source, set.home))
        const segments = pattern.split('/')
        if (pattern.startsWith('/')) {
          const literal = leadingLiteral(segments.slice(1))
          // at least two segments: `/proc/*/environ` does not make every search of / list /proc
          if (literal.length >= 2) absolute.add('/' + literal.join('/'))
        } else if (rule.action === 'deny') {
          const literal = leadingLiteral(pattern.startsWith('**/') ? segments.slice(1) : segments)
          if (literal.length > 0 && !literal.includes('..')) names.add(literal.join('/'))
        }
      }
    }
  }
  anchors = {names: [...names], absolute: [...absolute]}
  anchorCache.set(set, anchors)
  return anchors
}

function leadingLiteral(segments: string[]): string[] {
  const out: string[] = []
  for (const s of segments) {
    if (s === '' || GLOB_CHARS.test(s)) break
    out.push(s)
  }
  return out
}

const under = (path: string, dir: string) => path.startsWith(dir.endsWith('/') ? dir : dir + '/')

/** What is at a path, following symlinks; undefined when nothing is or it cannot be looked at. */
function kind(path: string): 'dir' | 'other' | undefined {
  try {
    const st = statSync(path, {throwIfNoEntry: false})
    return st === undefined ? undefined : st.isDirectory() ? 'dir' : 'other'
  } catch {
    return undefined
  }
}

/**
 * The paths a Grep or Glob search is decided on besides its folder: what it would read, approximated so that a
 * credential deny fires for a search that reaches credentials and a routine search of a project stays allowed.
 *
 * - the narrowed glob (Grep `glob`, Glob `pattern`) under the folder, its wildcards filled with plain text
 *   (`**\/id_*` → `<dir>/x/id_x`, `<dir>/id_`), so path rules written with wildcards see what the search targets;
 * - credential locations (SECRET_NAMES and the policy's deny paths) that exist directly under the folder, or under
 *   the home folder when the search covers it, with the entries of those that are folders (bounded);
 * - the entries of the folder itself when it is, or is inside, such a location.
 *
 * With a glob, only the files it can match count (the folders are stood for by their files). Looking at the disk
 * never throws: a location that cannot be looked at is left out; the folder itself is always decided on.
 */
export function searchCandidates(tool: string, input: Record<string, unknown>, dir: string, set: PolicySet): string[] {
  const home = set.home
  const expand = (p: string) => (p === '~' || p.startsWith('~/') ? home + p.slice(1) : p)
  const raw = tool === 'Grep' ? input.glob : input.pattern
  const globs = typeof raw === 'string' ? splitGlobs(raw) : []
  const out = new Set<string>()
  const roots: Array<{root: string; filter: ((abs: string, rel: string) => boolean) | undefined}> = [{root: dir, filter: globFilter(globs)}]
  for (const glob of globs) {
    if (glob.startsWith('!')) continue
    const g = expand(glob.replace(/^(\.\/)+/, ''))
    for (const filled of fillGlob(g)) out.add(resolve(dir, filled))
    // a glob that leaves the folder (`/etc/**`, `../../.ssh/*`) searches from its literal start as well
    const segments = g.split('/')
    const literal = leadingLiteral(g.startsWith('/') ? segments.slice(1) : segments)
    if (literal.length === segments.length - (g.startsWith('/') ? 1 : 0)) continue
    const start = resolve(dir, (g.startsWith('/') ? '/' : '') + literal.join('/'))
    if (start !== dir && !under(start, dir)) roots.push({root: start, filter: undefined})
  }
  const anchors = searchAnchors(set)
  for (const {root, filter} of roots) {
    if (out.size >= MAX_CANDIDATES) break
    const add = (path: string, isDir: boolean) => {
      if (out.size >= MAX_CANDIDATES) return
      if (filter === undefined || (!isDir && filter(path, relative(root, path)))) out.add(path)
    }
    const walk = (start: string, budget: number) => {
      const queue: Array<[string, number]> = [[start, 0]]
      let seen = 0
      while (queue.length > 0 && seen < budget) {
        const [folder, depth] = queue.shift() as [string, number]
        let entries
        try {
          entries = readdirSync(folder, {withFileTypes: true})
        } catch {
          continue
        }
        for (const e of entries) {
          if (++seen > budget) break
          const path = join(folder, e.name)
          add(path, e.isDirectory())
          if (e.isDirectory() && depth < WALK_DEPTH) queue.push([path, depth + 1])
        }
      }
    }
    const visit = (path: string) => {
      const k = kind(path)
      if (k === undefined) return
      add(path, k === 'dir')
      if (k === 'dir') walk(path, ANCHOR_ENTRIES)
    }
    // credential locations under the searched folder, and under the home folder when the search covers it
    const bases = under(home, root) ? [root, home] : [root]
    for (const base of bases) for (const name of anchors.names) visit(join(base, name))
    for (const path of anchors.absolute) if (under(path, root)) visit(path)
    // a search of a credential folder, or of a folder inside one (symlinks resolved)
    let real = root
    try {
      real = realpathSync.native(root)
    } catch {
      // not there, or not ours to look at: the folder is still decided on as it was named
    }
    const inside = [root, real].some((d) => anchors.names.some((n) => `${d}/`.includes(`/${n}/`)) ||
      anchors.absolute.some((a) => d === a || under(d, a)))
    if (inside) walk(root, INSIDE_ENTRIES)
  }
  out.delete(dir)
  return [...out]
}

/** Grep's `glob` may hold several globs, separated by spaces or commas outside braces. */
function splitGlobs(text: string): string[] {
  const out: string[] = []
  let depth = 0
  let current = ''
  for (const ch of text) {
    if (ch === '{') depth++
    else if (ch === '}') depth = Math.max(0, depth - 1)
    if ((/\s/.test(ch) || (ch === ',' && depth === 0))) {
      if (current !== '') out.push(current)
      current = ''
    } else current += ch
  }
  if (current !== '') out.push(current)
  return out
}

/**
 * Which files the globs can match: a file counts when a glob matches its absolute path, or its path relative to
 * the searched folder or any tail of it (a glob without a slash matches names at any depth, as in ripgrep), in
 * any case. Undefined — every file counts — when there is no glob to narrow with, or one cannot be read.
 */
function globFilter(globs: string[]): ((abs: string, rel: string) => boolean) | undefined {
  const positive = globs.filter((g) => !g.startsWith('!'))
  if (positive.length === 0) return undefined
  let res: RegExp[]
  try {
    // ignoring case: a search on a case-insensitive disk (macOS, Windows) reaches `ID_RSA` with `id_*`
    res = positive.map((g) => picomatch().makeRe(g.replace(/^(\.\/)+/, ''), {dot: true, nocase: true}))
  } catch {
    return undefined
  }
  return (abs, rel) => {
    const tails = [abs]
    const parts = rel.split('/')
    for (let i = 0; i < parts.length; i++) tails.push(parts.slice(i).join('/'))
    return tails.some((t) => res.some((re) => re.test(t)))
  }
}

/**
 * Plain paths a glob stands for: braces expanded (a few), `**\/` as one folder and as none, `*` as a letter and as
 * nothing, `?` and classes as a letter.
 */
const FILLS: ReadonlyArray<readonly [deep: string, star: string]> = [['x/', 'x'], ['', '']]

export function fillGlob(glob: string): string[] {
  let variants = [glob]
  for (let i = 0; i < 4; i++) {
    const next: string[] = []
    for (const v of variants) {
      const m = /\{([^{}]*)\}/.exec(v)
      if (!m) next.push(v)
      else for (const alt of (m[1] as string).split(',')) next.push(v.slice(0, m.index) + alt + v.slice(m.index + m[0].length))
    }
    variants = next.slice(0, 16)
  }
  const out = new Set<string>()
  for (const v of variants) {
    for (const [deep, star] of FILLS) {
      const filled = v.replace(/\*\*\//g, deep).replace(/\*\*/g, 'x').replace(/\[([!^]?)([^\]])[^\]]*\]/g, (_m, not: string, first: string) => (not ? 'x' : first))
        .replace(/\*/g, star).replace(/\?/g, 'x')
      if (filled !== '' && !filled.endsWith('/')) out.add(filled)
    }
  }
  return [...out]
}


/**
 * Decide a call on its own path and on each of `paths` (a directory search's reach): the most restrictive decision
 * wins, the first of equals; a decision on another path says which. Single-use allows used on the way are all
 * returned, to be spent if the call goes ahead.
 */
function evaluateReach(policy: PolicySet, call: ToolCall, paths: string[], options: EvaluateOptions): {decision: Decision; onceKeys: string[]} {
  let decision = evaluate(policy, call, options)
  const onceKeys = decision.once_key ? [decision.once_key] : []
  let total = decision.eval_us
  let reached: string | undefined
  for (const path of paths) {
    if (decision.action === 'deny') break
    // tool output is checked on the call itself; the reached paths are for path rules
    const d = evaluate(policy, {...call, path, response: undefined}, options)
    total += d.eval_us
    if (d.once_key && !onceKeys.includes(d.once_key)) onceKeys.push(d.once_key)
    if (RANK[d.action] > RANK[decision.action]) {
      decision = d
      reached = path
    }
  }
  if (reached !== undefined) {
    decision.message = `${decision.message} — the search of ${call.path} reaches ${reached}`
    decision.notes.push(`decided on ${reached}, which the search of ${call.path} reaches`)
    // `rampart allow <that file>` would not be the way: the search is what should be narrower
    decision.suggestions = [`# search a narrower folder, or narrow the search with a glob that leaves out ${reached}`]
  }
  decision.eval_us = Math.round(total * 100) / 100
  return {decision, onceKeys}
}

/** MCP tool names that change what they touch: their path is also judged as a write. */
const MCP_WRITES = /write|edit|create|delete|remove|move|rename|update|put|upload|save|append|patch|mkdir/i

/**
 * An MCP tool that names a path, a command or a URL can do what Read/Write, Bash or WebFetch do, so it is also
 * judged as those (a policy written for `read` must not be sidestepped by a filesystem MCP server); the most
 * restrictive decision wins. Only ever tightens.
 */
function alsoAsBuiltins(policy: PolicySet, call: ToolCall, name: string, d: Decision, options: EvaluateOptions): Decision {
  const variants: ToolCall[] = []
  const base = {...call, params: call.params ?? {}}
  if (call.path !== undefined) {
    variants.push({...base, tool: 'read', command: undefined, url: undefined} as ToolCall)
    if (MCP_WRITES.test(name)) variants.push({...base, tool: 'write', command: undefined, url: undefined} as ToolCall)
  }
  if (call.command !== undefined) variants.push({...base, tool: 'exec', path: undefined, url: undefined} as ToolCall)
  if (call.url !== undefined) variants.push({...base, tool: 'fetch', path: undefined, command: undefined} as ToolCall)
  let decision = d
  for (const v of variants) {
    for (const k of ['command', 'path', 'url'] as const) if (v[k] === undefined) delete v[k]
    const other = evaluate(policy, v, options)
    if (RANK[other.action] > RANK[decision.action]) decision = {...other, message: `${other.message} — ${name} is judged as a ${v.tool} call too`}
  }
  return decision
}

/** The deny answer for an event (a PostToolUse deny blocks the output): every hook entry answers problems with it. */
export const deny = (event: string, reason: string): HookAnswer => event === 'PostToolUse'
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
    if (call.path !== undefined && call.path !== '') call.path = resolve(cwd, call.path.replace(/^~(?=$|\/)/, userHome(env)))
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
    const reach = (name === 'Grep' || name === 'Glob') && call.path ? searchCandidates(name, input as Record<string, unknown>, call.path, policy) : []
    const reached = evaluateReach(policy, call, reach, {headless, history, once})
    const onceKeys = reached.onceKeys
    const d = call.tool === 'mcp' ? alsoAsBuiltins(policy, call, name, reached.decision, {headless}) : reached.decision
    if (onceKeys.length > 0 && event === 'PreToolUse' && (d.action === 'allow' || d.action === 'watch')) {
      try {
        for (const key of onceKeys) if (!once.consume(key)) return deny(event, 'this single-use allow was already used by another call')
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
