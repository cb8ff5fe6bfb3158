import {readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import type {Document, Node} from 'yaml'

import {PolicyError, type SourcePos} from '../errors.js'
import {validators, validatorsAll, yaml} from '../lazy.js'
import {packageRoot} from '../package-root.js'
import {didYouMean} from './suggest-name.js'
import type {ValidateFunction, ValidationError} from './validate-types.js'
import type {PolicyFileDoc} from './types.js'

export const MAX_POLICY_BYTES = 1024 * 1024

/** A policy file read from disk, validated against the schema, with a way back to line and column of any value. */
export interface ParsedFile<T = PolicyFileDoc> {
  file: string
  doc: T
  text: string
  /** Position of the value at a path like ['policies', 0, 'rules', 2]; `key: true` gives the key's position. */
  locate(path: readonly (string | number)[], key?: boolean): SourcePos
  /** Parsed and checked at build time (a shipped profile's snapshot): load-time checks are skipped. */
  trusted?: boolean
  /** The engine's rule routes, computed at build time (a shipped profile's snapshot), by policy then rule. */
  routes?: SnapshotRoutes
}

/** RuleRoute in JSON form (its `ends` set as a list), null for a rule no index routes. */
export type SnapshotRoute = {exact: string[]; needles: string[]; keys: number[]; ends: number[] | null} | null
export type SnapshotRoutes = SnapshotRoute[][]

type YamlDoc = Document.Parsed

export function readPolicyFile(file: string): ParsedFile {
  let size: number
  try {
    size = statSync(file).size
  } catch (error) {
    throw new PolicyError({file, line: 1, col: 1}, `cannot read the policy file (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      'check the path, or pass a different file with --config')
  }
  if (size > MAX_POLICY_BYTES) {
    throw new PolicyError({file, line: 1, col: 1}, `the file is ${(size / 1024 / 1024).toFixed(1)} MiB, over the 1 MiB limit for policy files`,
      'split it into several files in $RAMPART_HOME/policies or remove generated content')
  }
  return parsePolicyText(readFileSync(file, 'utf8'), file)
}

/**
 * A file with test cases: a suite (`policy:` + `tests:`, schemas/test-suite.schema.json) or a policy file carrying
 * inline `tests:` (schemas/policy.schema.json), told apart by their top-level keys.
 */
export function readTestFile<T>(file: string): ParsedFile<T> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new PolicyError({file, line: 1, col: 1}, `cannot read the test file (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'check the path')
  }
  return parseYamlFile<T>(text, file, (doc, parsed) => {
    const keys = doc && typeof doc === 'object' ? Object.keys(doc) : []
    const isPolicy = keys.some((k) => k === 'policies' || k === 'version' || k === 'default_action' || k === 'notify')
    validateAgainstSchema(doc, parsed, isPolicy ? 'policy' : 'suite')
  })
}

export function parsePolicyText(text: string, file: string): ParsedFile {
  return parseYamlFile<PolicyFileDoc>(text, file, (doc, parsed) => validateAgainstSchema(doc, parsed))
}

/** YAML → JS with positions. `check` validates the plain value and throws PolicyError on the first problem. */
export function parseYamlFile<T>(text: string, file: string, check: (value: unknown, parsed: ParsedFile<unknown>) => void): ParsedFile<T> {
  const result = parseYamlDocument(text, file)
  const firstProblem = result.problems[0]
  if (firstProblem || !result.parsed) throw firstProblem ?? new PolicyError({file, line: 1, col: 1}, 'no YAML document', 'write a policy object with version and policies')
  check(result.parsed.doc, result.parsed)
  return result.parsed as ParsedFile<T>
}

/**
 * YAML → JS with positions, reporting every syntax problem instead of the first (the linter wants them all).
 * `parsed` is undefined when the text cannot be turned into a value at all.
 */
export function parseYamlDocument(input: string, file: string): {parsed: ParsedFile<unknown> | undefined; problems: PolicyError[]} {
  const problems: PolicyError[] = []
  if (Buffer.byteLength(input) > MAX_POLICY_BYTES) {
    return {parsed: undefined, problems: [new PolicyError({file, line: 1, col: 1}, 'the file is over the 1 MiB limit for policy files', 'split it into several smaller files')]}
  }
  // a byte-order mark is not content
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input
  const {LineCounter, parseAllDocuments} = yaml()
  const lineCounter = new LineCounter()
  const docs = parseAllDocuments(text, {lineCounter, prettyErrors: false, uniqueKeys: true, strict: true})
  const at = (offset: number): SourcePos => {
    const p = lineCounter.linePos(offset)
    return {file, line: p.line, col: p.col}
  }
  if (!Array.isArray(docs)) {
    // an empty stream: an empty file is a valid, empty policy
    return {parsed: {file, doc: {}, text, locate: () => ({file, line: 1, col: 1})}, problems}
  }
  const first = docs[0]
  if (!first) return {parsed: {file, doc: {}, text, locate: () => ({file, line: 1, col: 1})}, problems}
  const second = docs[1]
  if (second) {
    problems.push(new PolicyError(at(second.range[0]), 'a second YAML document (---) in one policy file',
      'keep one document per file: move the second one to its own file'))
  }
  for (const err of first.errors) {
    const pos = err.linePos?.[0] ? {file, line: err.linePos[0].line, col: err.linePos[0].col} : at(err.pos[0])
    problems.push(new PolicyError(pos, `invalid YAML: ${firstLine(err.message)}`, yamlHint(err.code)))
  }
  if (first.errors.length > 0) return {parsed: undefined, problems}
  let value: unknown
  try {
    value = first.toJS({maxAliasCount: 100})
  } catch (error) {
    problems.push(new PolicyError({file, line: 1, col: 1}, `invalid YAML: ${firstLine((error as Error).message)}`, 'remove excessive aliases (&anchor / *alias)'))
    return {parsed: undefined, problems}
  }
  if (value === null || value === undefined) value = {}
  const locate = (path: readonly (string | number)[], key = false): SourcePos => locateIn(first, path, key, at)
  return {parsed: {file, doc: value, text, locate}, problems}
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message
}

function yamlHint(code: string): string {
  switch (code) {
    case 'DUPLICATE_KEY': return 'remove or rename the repeated key'
    case 'BAD_INDENT':
    case 'MISSING_CHAR': return 'check the indentation and that every list item starts with "- "'
    case 'TAB_AS_INDENT': return 'indent with spaces, not tabs'
    case 'BLOCK_AS_IMPLICIT_KEY': return 'check the indentation of the line above'
    default: return 'fix the YAML syntax at this position (quote values that contain ": " or start with * & ! %)'
  }
}

function locateIn(doc: YamlDoc, path: readonly (string | number)[], key: boolean, at: (offset: number) => SourcePos): SourcePos {
  const {isMap, isPair, isScalar, isSeq} = yaml()
  let node: unknown = doc.contents
  let keyNode: unknown
  let lastGood: unknown = doc.contents
  for (const segment of path) {
    keyNode = undefined
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment))
      if (!pair) break
      keyNode = pair.key
      node = pair.value
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment]
    } else {
      break
    }
    if (node) lastGood = node
    else if (keyNode) lastGood = keyNode
  }
  const target = (key && keyNode ? keyNode : lastGood) as Node | undefined
  const offset = target?.range?.[0] ?? 0
  return at(offset)
}

// ----- schema validation -----------------------------------------------------------------------------------

interface SchemaNode {
  properties?: Record<string, SchemaNode>
  $ref?: string
  enum?: unknown[]
  description?: string
}

const ACTION_HINTS: Record<string, string> = {
  block: 'deny', reject: 'deny', forbid: 'deny', refuse: 'deny', disallow: 'deny',
  approve: 'ask', confirm: 'ask', prompt: 'ask', require_approval: 'ask', approval: 'ask',
  permit: 'allow', accept: 'allow', pass: 'allow',
  warn: 'watch', audit: 'watch', monitor: 'watch', observe: 'watch', log: 'watch',
}

const schemaCache = new Map<string, unknown>()
/** Schemas are only needed to explain an error, so they are read then, not at start-up. */
export function loadSchema(name: 'policy.schema.json' | 'test-suite.schema.json' = 'policy.schema.json'): unknown {
  let s = schemaCache.get(name)
  if (!s) {
    s = JSON.parse(readFileSync(join(packageRoot(), 'schemas', name), 'utf8'))
    schemaCache.set(name, s)
  }
  return s
}

/**
 * The schema node that describes the value at a data path. Walks the data path rather than ajv's schemaPath,
 * which is relative to whichever $ref'd definition ajv compiled separately.
 */
function schemaAt(path: readonly (string | number)[], root: unknown): SchemaNode | undefined {
  const deref = (node: unknown): SchemaNode | undefined => {
    let n = node as (SchemaNode & {items?: unknown}) | undefined
    for (let i = 0; i < 8 && n?.$ref; i++) {
      const [file, pointer = ''] = n.$ref.split('#')
      let target: unknown = file ? loadSchema(file as 'policy.schema.json') : root
      for (const part of pointer.split('/').filter(Boolean)) target = (target as Record<string, unknown> | undefined)?.[part]
      n = target as SchemaNode | undefined
    }
    return n
  }
  let node = deref(root)
  for (const segment of path) {
    const n = node as (SchemaNode & {items?: unknown}) | undefined
    node = deref(typeof segment === 'number' ? n?.items : n?.properties?.[segment])
  }
  return node
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return []
  return pointer.slice(1).split('/').map((p) => {
    const s = p.replace(/~1/g, '/').replace(/~0/g, '~')
    return /^\d+$/.test(s) ? Number(s) : s
  })
}

function describePath(path: readonly (string | number)[]): string {
  const last = path[path.length - 1]
  if (last === undefined) return 'the file'
  if (typeof last === 'number') return `item ${last + 1} of '${String(path[path.length - 2] ?? '')}'`
  return `'${last}'`
}

function pickError(errors: ValidationError[]): ValidationError {
  // the most specific error: deepest path, and an unknown key before the generic anyOf summary
  const rank = (e: ValidationError) => (e.keyword === 'additionalProperties' ? 2 : e.keyword === 'anyOf' ? 0 : 1)
  return [...errors].sort((a, b) => b.instancePath.split('/').length - a.instancePath.split('/').length || rank(b) - rank(a))[0] as ValidationError
}

/** Every schema problem of a value (the linter's view), each as a located PolicyError with its did-you-mean. */
export function schemaProblems(value: unknown, parsed: ParsedFile<unknown>, which: 'policy' | 'suite'): Array<{error: PolicyError; keyword: string; path: string}> {
  const validate: ValidateFunction = which === 'suite' ? validatorsAll().validateSuite : validatorsAll().validatePolicy
  if (validate(value)) return []
  const root = loadSchema(which === 'suite' ? 'test-suite.schema.json' : 'policy.schema.json')
  const errors = validate.errors ?? []
  // anyOf reports each branch's failure too: keep the summary where one exists for the same value
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath))
  const out: Array<{error: PolicyError; keyword: string; path: string}> = []
  const seen = new Set<string>()
  for (const e of errors) {
    if (e.keyword !== 'anyOf' && anyOfPaths.has(e.instancePath)) continue
    const error = schemaErrorToPolicyError(e, parsed, root)
    if (seen.has(error.message)) continue
    seen.add(error.message)
    out.push({error, keyword: e.keyword, path: e.instancePath})
  }
  return out
}

function validateAgainstSchema(value: unknown, parsed: ParsedFile<unknown>, which: 'policy' | 'suite' = 'policy'): void {
  const validate: ValidateFunction = which === 'suite' ? validators().validateSuite : validators().validatePolicy
  if (validate(value)) return
  const errors = validate.errors ?? []
  if (errors.length === 0) throw new PolicyError(parsed.locate([]), 'the file does not match the schema', 'run `rampart policy schema` to see the format')
  const root = loadSchema(which === 'suite' ? 'test-suite.schema.json' : 'policy.schema.json')
  throw schemaErrorToPolicyError(pickError(errors), parsed, root)
}

export function schemaErrorToPolicyError(error: ValidationError, parsed: ParsedFile<unknown>, root: unknown = loadSchema()): PolicyError {
  const path = pointerToPath(error.instancePath)
  const where = describePath(path)
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(error.params.additionalProperty)
      const owner = schemaAt(path, root)
      const allowed = Object.keys(owner?.properties ?? {})
      const guess = didYouMean(key, allowed)
      const context = path.length === 0 ? 'at the top level' : `in ${where}`
      return new PolicyError(parsed.locate([...path, key], true), `unknown key '${key}' ${context}`,
        guess ? `did you mean '${guess}'?` : `use one of: ${allowed.join(', ')}`)
    }
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[] | undefined)?.map(String) ?? []
      const got = valueAt(parsed.doc, path)
      const mapped = typeof got === 'string' && allowed.includes('deny') ? ACTION_HINTS[got.toLowerCase()] : undefined
      const guess = mapped ?? (typeof got === 'string' ? didYouMean(got, allowed) : undefined)
      return new PolicyError(parsed.locate(path), `invalid value ${JSON.stringify(got)} for ${where}`,
        guess ? `did you mean '${guess}'? (allowed: ${allowed.join(', ')})` : `use one of: ${allowed.join(', ')}`)
    }
    case 'required': {
      const missing = String(error.params.missingProperty)
      return new PolicyError(parsed.locate(path), `${where === 'the file' ? 'the file' : where} is missing the required key '${missing}'`,
        `add '${missing}:'`)
    }
    case 'type': {
      const got = valueAt(parsed.doc, path)
      return new PolicyError(parsed.locate(path), `${where} must be ${article(String(error.params.type))}, not ${kindOf(got)}`,
        typeHint(String(error.params.type), path))
    }
    case 'anyOf': {
      const owner = schemaAt(path, root)
      const got = valueAt(parsed.doc, path)
      const last = path[path.length - 1]
      if (last === 'version') return new PolicyError(parsed.locate(path), `unsupported version ${JSON.stringify(got)}`, 'write version: "1"')
      return new PolicyError(parsed.locate(path), `${where} has the wrong form (${kindOf(got)})`,
        owner?.description ? `expected ${owner.description.replace(/\.$/, '').toLowerCase()}` : 'see `rampart policy schema`')
    }
    case 'pattern': {
      const last = path[path.length - 1]
      if (path.includes('command_contains')) return new PolicyError(parsed.locate(path), 'a blank command_contains entry would match every command', 'remove it or write the substring to look for')
      if (last === 'window') return new PolicyError(parsed.locate(path), `invalid window ${JSON.stringify(valueAt(parsed.doc, path))}`, 'write a number and a unit s, m or h, e.g. "30s", "5m", "1h"')
      return new PolicyError(parsed.locate(path), `${where} is not in the expected format`, `it must match ${String(error.params.pattern)}`)
    }
    case 'minLength':
      return new PolicyError(parsed.locate(path), `${where} is empty`, 'write a value or remove the entry')
    case 'maxLength':
      return new PolicyError(parsed.locate(path), `${where} is longer than ${String(error.params.limit)} characters`, 'shorten it')
    case 'minimum':
    case 'maximum':
      return new PolicyError(parsed.locate(path), `${where} is out of range (${error.message ?? ''})`, `use a value ${error.message ?? 'in range'}`)
    case 'minProperties':
      return new PolicyError(parsed.locate(path), `${where} is empty`, 'add at least one entry or remove it')
    case 'const':
      if (path[path.length - 1] === 'version') return new PolicyError(parsed.locate(path), `unsupported version ${JSON.stringify(valueAt(parsed.doc, path))}`, 'write version: "1"')
      return new PolicyError(parsed.locate(path), `invalid value for ${where}`, `use ${JSON.stringify(error.params.allowedValue)}`)
    default:
      return new PolicyError(parsed.locate(path), `${where} ${error.message ?? 'is invalid'}`, 'see `rampart policy schema` for the format')
  }
}

function valueAt(doc: unknown, path: readonly (string | number)[]): unknown {
  let node = doc
  for (const segment of path) {
    if (node && typeof node === 'object') node = (node as Record<string | number, unknown>)[segment]
    else return undefined
  }
  return node
}

function article(type: string): string {
  const name = type === 'array' ? 'list' : type === 'object' ? 'mapping' : type
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`
}

function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  return `${typeof value} ${JSON.stringify(value)}`
}

function typeHint(type: string, path: readonly (string | number)[]): string {
  const last = String(path[path.length - 1] ?? '')
  if (type === 'array') return `write it as a list, e.g. ${last}: ["pattern"]`
  if (type === 'object') return `write it as a mapping of keys to values under '${last}'`
  if (type === 'integer') return 'write a whole number without quotes'
  if (type === 'boolean') return 'write true or false without quotes'
  return `write ${article(type)}; quote it if it contains special characters`
}

// ----- pre-parsed snapshots ----------------------------------------------------------------------------------

/** A policy file parsed and validated ahead of time (the build does this for the shipped profiles). */
export interface Snapshot {
  /** fingerprint() of the YAML text the snapshot was made from, and that file's size and modification time */
  fingerprint: string
  size: number
  mtimeMs: number
  doc: PolicyFileDoc
  /** Per policy: [line, col] of the policy, of its name, then of each rule. */
  positions: Array<{at: [number, number]; name: [number, number]; rules: Array<[number, number]>}>
  /** How the engine routes each rule: working these out means reading every glob, which a one-shot run cannot afford */
  routes?: SnapshotRoutes
}

export function snapshotOf(parsed: ParsedFile, fingerprint: string, file: {size: number; mtimeMs: number}, routes?: SnapshotRoutes): Snapshot {
  // only what decisions report (policy and rule lines); an error or lint position re-parses the YAML on demand
  const pair = (path: (string | number)[]): [number, number] => {
    const at = parsed.locate(path)
    return [at.line, at.col]
  }
  const positions = (parsed.doc.policies ?? []).map((p, pi) => ({
    at: pair(['policies', pi]),
    name: pair(['policies', pi, 'name']),
    rules: (p.rules ?? []).map((_r, ri) => pair(['policies', pi, 'rules', ri])),
  }))
  return {fingerprint, size: file.size, mtimeMs: file.mtimeMs, doc: parsed.doc, positions, ...(routes ? {routes} : {})}
}

export function fromSnapshot(snapshot: Snapshot, file: string, readText: () => string): ParsedFile {
  let full: ParsedFile | undefined
  const locate = (path: readonly (string | number)[], key = false): SourcePos => {
    if (!key && path[0] === 'policies' && typeof path[1] === 'number') {
      const p = snapshot.positions[path[1]]
      const hit = path.length === 2 ? p?.at
        : path.length === 3 && path[2] === 'name' ? p?.name
          : path.length === 4 && path[2] === 'rules' && typeof path[3] === 'number' ? p?.rules[path[3]] : undefined
      if (hit) return {file, line: hit[0], col: hit[1]}
    }
    full ??= parsePolicyText(readText(), file)
    return full.locate(path, key)
  }
  return {
    file, doc: snapshot.doc, locate, trusted: true, ...(snapshot.routes ? {routes: snapshot.routes} : {}),
    get text() {
      return readText()
    },
  }
}
