import {readFileSync} from 'node:fs'

import {PolicyError, type SourcePos} from '../errors.js'
import {parseYamlDocument, type ParsedFile} from '../policy/parse.js'
import type {Action} from '../policy/types.js'

export const CATEGORIES = ['exfiltration', 'credential-theft', 'destructive', 'privilege-escalation', 'persistence', 'supply-chain', 'prompt-injection', 'obfuscation', 'benign'] as const
export type Severity = 'critical' | 'high' | 'medium'
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium']

export interface CorpusCase {
  id: string
  name: string
  category: string
  severity: Severity
  tool: string
  input: Record<string, string>
  expected: Action
  technique?: string
  file: string
  line: number
}

// names the Go tool's corpora use for the same things
const CATEGORY_ALIASES: Record<string, string> = {exfil: 'exfiltration', 'credential-access': 'credential-theft', injection: 'prompt-injection', execution: 'supply-chain'}
const EXPECTED: Record<string, Action> = {allow: 'allow', deny: 'deny', ask: 'ask', watch: 'watch', log: 'watch', require_approval: 'ask'}

/**
 * A bench corpus: ours (`cases:` with id, name, category, severity, tool, input, expected, technique) or the Go
 * tool's — the same `cases:` shape with `require_approval` and `exfil`, or its older `entries:` (or bare list) of
 * {command, expected_action, category, description}. Every problem is one PolicyError with its position.
 */
export function loadCorpus(file: string): CorpusCase[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new PolicyError({file, line: 1, col: 1}, `cannot read the corpus (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'check the path given to --corpus')
  }
  const {parsed, problems} = parseYamlDocument(text, file)
  if (problems[0]) throw problems[0]
  if (!parsed) throw new PolicyError({file, line: 1, col: 1}, 'the corpus is empty', 'add cases: [...]')
  const doc = parsed.doc as Record<string, unknown> | unknown[]
  const list = Array.isArray(doc) ? doc : (doc.cases ?? doc.entries)
  const key = Array.isArray(doc) ? [] : doc.cases !== undefined ? ['cases'] : ['entries']
  if (!Array.isArray(list)) throw new PolicyError(parsed.locate([]), 'the corpus has no list of cases', 'write cases: followed by a list of {id, name, category, severity, tool, input, expected}')
  const seen = new Map<string, number>()
  return list.map((raw, i) => {
    const path = [...key, i]
    const c = toCase(raw, parsed, path, file, i)
    const first = seen.get(c.id)
    if (first !== undefined) throw new PolicyError(parsed.locate([...path, 'id']), `duplicate case id '${c.id}' (first at line ${first})`, 'give every case a unique id')
    seen.set(c.id, c.line)
    return c
  })
}

function toCase(raw: unknown, parsed: ParsedFile<unknown>, path: (string | number)[], file: string, index: number): CorpusCase {
  const at = (p: (string | number)[] = []): SourcePos => parsed.locate([...path, ...p])
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new PolicyError(at(), `case ${index + 1} is not a mapping`, 'write each case as {id, name, category, severity, tool, input, expected}')
  const r = raw as Record<string, unknown>
  const str = (k: string): string | undefined => (typeof r[k] === 'string' || typeof r[k] === 'number' ? String(r[k]).trim() : undefined)
  const legacy = r.command !== undefined && r.input === undefined
  const need = (k: string, value: string | undefined): string => {
    if (value) return value
    throw new PolicyError(at(), `case ${index + 1} is missing '${k}'`, legacy ? 'old-format entries need command, expected_action and category' : 'each case needs id, category, tool, input and expected')
  }
  const expectedRaw = need(legacy ? 'expected_action' : 'expected', str(legacy ? 'expected_action' : 'expected'))?.toLowerCase()
  const expected = EXPECTED[expectedRaw]
  if (!expected) {
    throw new PolicyError(at([legacy ? 'expected_action' : 'expected']), `unknown expected decision '${expectedRaw}'`, 'use one of: deny, ask, watch, allow (require_approval and log are accepted as ask and watch)')
  }
  const categoryRaw = need('category', str('category')).toLowerCase()
  const category = CATEGORY_ALIASES[categoryRaw] ?? categoryRaw
  const severityRaw = (str('severity') ?? (category === 'benign' ? 'medium' : 'high')).toLowerCase()
  if (!SEVERITIES.includes(severityRaw as Severity)) throw new PolicyError(at(['severity']), `unknown severity '${severityRaw}'`, 'use critical, high or medium')
  let tool: string
  let input: Record<string, string>
  if (legacy) {
    tool = 'exec'
    input = {command: need('command', str('command'))}
  } else {
    tool = need('tool', str('tool'))
    const inp = r.input
    if (!inp || typeof inp !== 'object' || Array.isArray(inp)) throw new PolicyError(at(['input']), `case ${index + 1}: input must be a mapping such as {command: "..."}`, 'write input: {command: ...} for exec, {path: ...} for read/write/edit, {url: ...} for fetch')
    input = Object.fromEntries(Object.entries(inp as Record<string, unknown>).map(([k, v]) => [k, String(v)]))
    if (!input.command && !input.path && !input.url) throw new PolicyError(at(['input']), `case ${index + 1}: input has no command, path or url`, 'add the command, path or url the call uses')
  }
  const id = str('id') ?? `case-${index + 1}`
  const c: CorpusCase = {id, name: str('name') ?? str('description') ?? id, category, severity: severityRaw as Severity, tool, input, expected, file, line: at().line}
  const technique = str('technique')
  if (technique) c.technique = technique
  return c
}
