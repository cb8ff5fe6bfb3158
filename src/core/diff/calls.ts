import {callFromParams} from '../engine/call.js'
import type {ToolCall} from '../engine/evaluate.js'
import type {CorpusCase} from '../bench/corpus.js'
import type {RecordedCall} from '../state/decision-log.js'
import type {SuiteCall} from './side.js'
import type {CallSource} from './types.js'

/** One call to compare, with the first place it was found and how many places carry it. */
export interface DistinctCall {
  key: string
  source: CallSource
  name: string
  where: string
  call: ToolCall
  headless: boolean
  occurrences: number
}

const SOURCE_ORDER: Record<CallSource, number> = {test: 0, corpus: 1, recorded: 2}

export interface CallCounts {
  test: number
  corpus: number
  recorded: number
}

/**
 * Collects calls from every source, keeping one entry per distinct call: agents repeat the same commands
 * thousands of times and a decision is a pure function of the call, so each is evaluated once per side.
 */
export class CallSet {
  readonly counts: CallCounts = {test: 0, corpus: 0, recorded: 0}
  private readonly byKey = new Map<string, DistinctCall>()
  /** test cases already counted: the same case in both revisions' suites is one case */
  private readonly caseIds = new Set<string>()

  add(source: CallSource, name: string, where: string, call: ToolCall, headless = false): void {
    const key = callKey(call, headless)
    if (source === 'test') {
      const id = JSON.stringify([where.replace(/:\d+$/, ''), name, key])
      if (this.caseIds.has(id)) return
      this.caseIds.add(id)
    }
    this.counts[source]++
    const seen = this.byKey.get(key)
    if (seen) {
      seen.occurrences++
      // sources arrive in any order (the corpus is parsed in the background); a test case names a call best
      if (SOURCE_ORDER[source] < SOURCE_ORDER[seen.source]) Object.assign(seen, {source, name, where})
      return
    }
    this.byKey.set(key, {key, source, name, where, call, headless, occurrences: 1})
  }

  addSuite(cases: readonly SuiteCall[]): void {
    for (const c of cases) this.add('test', c.name, c.where, c.call, c.headless)
  }

  addCorpus(cases: readonly CorpusCase[], display: (file: string) => string, cwd: string): void {
    for (const c of cases) {
      this.add('corpus', c.name === c.id ? c.id : `${c.id} ${c.name}`, `${display(c.file)}:${c.line}`,
        callFromParams(c.tool, c.input, {agent: 'claude-code', session: '', cwd}))
    }
  }

  /** A recorded file's JSON lines (`rampart audit export --calls`); returns how many lines could not be used. */
  addRecorded(path: string, text: string, cwd: string): number {
    let bad = 0
    let lineNo = 0
    for (const line of text.split('\n')) {
      lineNo++
      if (line.trim() === '') continue
      const entry = parseRecorded(line)
      if (!entry) {
        bad++
        continue
      }
      const params: Record<string, unknown> = {}
      for (const k of ['command', 'path', 'url'] as const) if (typeof entry.params[k] === 'string') params[k] = entry.params[k]
      const extra: Partial<ToolCall> = {cwd: entry.cwd ?? cwd, session: entry.session ?? ''}
      if (entry.agent !== undefined) extra.agent = entry.agent
      this.add('recorded', `recorded ${entry.at}`, `${path}:${lineNo}`, callFromParams(entry.tool, params, extra))
    }
    return bad
  }

  get distinct(): DistinctCall[] {
    return [...this.byKey.values()]
  }
}

function parseRecorded(line: string): RecordedCall | undefined {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return undefined
  }
  if (!value || typeof value !== 'object') return undefined
  const v = value as Partial<RecordedCall>
  if (typeof v.tool !== 'string' || !v.params || typeof v.params !== 'object') return undefined
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined)
  const entry: RecordedCall = {at: str(v.at) ?? '', tool: v.tool, params: v.params, decision: str(v.decision) ?? '', policy: str(v.policy) ?? null}
  const agent = str(v.agent)
  const session = str(v.session)
  const cwd = str(v.cwd)
  if (agent !== undefined) entry.agent = agent
  if (session !== undefined) entry.session = session
  if (cwd !== undefined) entry.cwd = cwd
  return entry
}

/** Everything a rule can look at, in a fixed order. */
export function callKey(call: ToolCall, headless: boolean): string {
  // command, path and url are already in the key: params only matter when they carry more (tool_param_matches)
  let extra = ''
  const params = call.params
  if (params) {
    for (const k in params) {
      if (k === 'command' || k === 'path' || k === 'url') continue
      extra = JSON.stringify(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      break
    }
  }
  return JSON.stringify([call.tool, call.command, call.path, call.url, call.agent, call.session ?? '', call.cwd, call.response, call.agentDepth, headless, extra])
}
