import {existsSync, readFileSync} from 'node:fs'
import {basename, join} from 'node:path'

import type {Document} from 'yaml'

import {PolicyError} from '../errors.js'
import {yaml} from '../lazy.js'
import {findProjectRoot, rampartHome} from '../policy/load.js'
import {parsePolicyText} from '../policy/parse.js'
import {withFileLock, writeAtomic} from '../state/lock.js'

export type Scope = 'global' | 'project'
export type OverrideTool = 'exec' | 'read' | 'write' | 'edit'

export interface OverrideRule {
  /** 1-based, across global then project, as `rampart rules` numbers them */
  index: number
  source: Scope
  file: string
  action: 'allow' | 'deny'
  tool: string
  pattern: string
  message?: string
  added?: string
  /** where the pattern sits: policy index, rule index, pattern index */
  at: [number, number, number]
}

const GLOBAL_HEADER = `# Rampart user overrides — managed by \`rampart allow\` / \`rampart block\`.
# You can edit this file manually. Changes take effect on reload.
`

export function overrideFile(scope: Scope, cwd: string, env: Record<string, string | undefined> = process.env): string {
  if (scope === 'global') return join(rampartHome(env), 'policies', 'user-overrides.yaml')
  const root = findProjectRoot(cwd)
  if (!root) throw new PolicyError({file: cwd, line: 1, col: 1}, 'not inside a git repository, so there is no project policy', 'use --global, or run this inside the repository')
  return join(root, '.rampart', 'policy.yaml')
}

/** Where `rampart allow` writes without --global/--project: the project inside a git repository, else global. */
export function defaultScope(cwd: string): Scope {
  return findProjectRoot(cwd) ? 'project' : 'global'
}

const PATH_START = /^(\/|~\/|~$|\.\.?\/|\*\*\/|\$HOME\b|\$\{HOME\}|\$\(pwd\)|[A-Za-z]:[\\/])/

/** The seed's auto-detection: a single word that looks like a path is a path rule (read, write, edit); else a command. */
export function detectTool(pattern: string): 'path' | 'exec' {
  return !/\s/.test(pattern) && PATH_START.test(pattern) ? 'path' : 'exec'
}

function policyName(action: 'allow' | 'deny', kind: 'commands' | 'paths' | OverrideTool): string {
  return `custom-${action === 'allow' ? 'allow' : 'block'}-${kind}`
}

interface Loaded {
  file: string
  doc: Document.Parsed
  text: string
}

/** Read an override file as an editable YAML document. A malformed file is never touched: the error names the line. */
function load(file: string): Loaded {
  if (!existsSync(file) || readFileSync(file, 'utf8').trim() === '') {
    const {parseDocument} = yaml()
    const text = basename(file) === 'user-overrides.yaml' ? `${GLOBAL_HEADER}version: "1"\npolicies: []\n` : 'version: "1"\npolicies: []\n'
    return {file, doc: parseDocument(text), text: ''}
  }
  const text = readFileSync(file, 'utf8')
  parsePolicyText(text, file) // full validation: a broken file stops here with file:line:col
  const doc = yaml().parseDocument(text)
  return {file, doc, text}
}

function save(l: Loaded): void {
  const out = l.doc.toString({lineWidth: 0})
  parsePolicyText(out, l.file) // never write a file that would not load
  writeAtomic(l.file, out)
}

/** Run `fn` on the file's document under a lock, then write it atomically (temp file + rename). */
export function editOverrides<T>(file: string, fn: (l: Loaded) => T): T {
  return withFileLock(file, () => {
    const l = load(file)
    const result = fn(l)
    save(l)
    return result
  })
}

export interface AddRule {
  action: 'allow' | 'deny'
  pattern: string
  tool: OverrideTool | 'path'
  message?: string
  now?: Date
}

/** Append a pattern to the seed's custom-allow-… / custom-block-… policy, creating it when needed. */
export function addOverride(file: string, rule: AddRule): {policy: string} {
  return editOverrides(file, (l) => {
    const {isSeq, isMap} = yaml()
    const kind = rule.tool === 'exec' ? 'commands' : rule.tool === 'path' ? 'paths' : rule.tool
    const name = policyName(rule.action, kind)
    const tools = rule.tool === 'path' ? ['read', 'write', 'edit'] : [rule.tool]
    const field = rule.tool === 'exec' ? 'command_matches' : 'path_matches'
    const added = (rule.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z')
    let policies = l.doc.get('policies', true)
    if (!isSeq(policies)) {
      l.doc.set('policies', l.doc.createNode([]))
      policies = l.doc.get('policies', true)
    }
    const list = policies as import('yaml').YAMLSeq
    list.flow = false // `policies: []` of a new file would otherwise keep every added policy on one line
    const existing = list.items.find((p) => isMap(p) && p.get('name') === name)
    const newRule = {action: rule.action, when: {[field]: [rule.pattern]}, message: rule.message ?? defaultMessage(rule.action, kind), added}
    if (existing && isMap(existing)) {
      const rules = existing.get('rules', true)
      if (isSeq(rules)) rules.add(l.doc.createNode(newRule))
      else existing.set('rules', l.doc.createNode([newRule]))
    } else {
      const node = l.doc.createNode({name, match: {tool: tools}, rules: [newRule]})
      const toolSeq = (node.get('match', true) as import('yaml').YAMLMap | undefined)?.get('tool', true)
      if (isSeq(toolSeq)) toolSeq.flow = true // tool: [exec], as in the seed
      list.add(node)
    }
    return {policy: name}
  })
}

function defaultMessage(action: 'allow' | 'deny', kind: string): string {
  const what = kind === 'commands' ? 'command' : kind === 'paths' ? 'path' : `${kind} path`
  return action === 'allow' ? `User-allowed ${what}` : `User-blocked ${what}`
}

/** The override files that exist, global first (the project one only inside a repository). */
function existingFiles(cwd: string, env: Record<string, string | undefined>, only?: Scope): Array<{source: Scope; file: string}> {
  const out: Array<{source: Scope; file: string}> = []
  for (const source of ['global', 'project'] as const) {
    if (only && only !== source) continue
    try {
      const file = overrideFile(source, cwd, env)
      if (existsSync(file)) out.push({source, file})
    } catch {
      // not inside a repository: no project file
    }
  }
  return out
}

/** Every pattern of the custom-allow-… / custom-block-… policies in the global then the project file. */
export function listOverrides(cwd: string, env: Record<string, string | undefined> = process.env, only?: Scope): OverrideRule[] {
  const out: OverrideRule[] = []
  for (const {source, file} of existingFiles(cwd, env, only)) {
    const parsed = parsePolicyText(readFileSync(file, 'utf8'), file)
    parsed.doc.policies?.forEach((p, pi) => {
      if (!/^custom-(allow|block)-/.test(p.name)) return
      p.rules?.forEach((r, ri) => {
        const patterns = r.when?.command_matches ?? r.when?.path_matches ?? []
        const tool = r.when?.command_matches ? 'exec' : (Array.isArray(p.match?.tool) ? p.match.tool : [p.match?.tool ?? '*']).join(',')
        patterns.forEach((pattern, gi) => {
          out.push({index: 0, source, file, action: r.action === 'allow' ? 'allow' : 'deny', tool, pattern, ...(r.message ? {message: r.message} : {}), ...(r.added ? {added: r.added} : {}), at: [pi, ri, gi]})
        })
      })
    })
  }
  out.forEach((r, i) => (r.index = i + 1))
  return out
}

/** Remove one listed pattern (and its rule or policy when it was the last one). */
export function removeOverride(rule: OverrideRule): void {
  editOverrides(rule.file, (l) => {
    const {isSeq, isMap} = yaml()
    const policies = l.doc.get('policies', true)
    if (!isSeq(policies)) return
    const [pi, ri, gi] = rule.at
    const policy = policies.items[pi]
    if (!isMap(policy)) return
    const rules = policy.get('rules', true)
    if (!isSeq(rules)) return
    const r = rules.items[ri]
    if (!isMap(r)) return
    const when = r.get('when', true)
    const field = isMap(when) && when.has('command_matches') ? 'command_matches' : 'path_matches'
    const patterns = isMap(when) ? when.get(field, true) : undefined
    if (isSeq(patterns) && patterns.items.length > 1) patterns.delete(gi)
    else if (rules.items.length > 1) rules.delete(ri)
    else policies.delete(pi)
  })
}

/** Remove every custom-allow-… / custom-block-… policy from the global and project files; other policies stay. */
export function resetOverrides(cwd: string, env: Record<string, string | undefined> = process.env): number {
  let removed = 0
  for (const {source, file} of existingFiles(cwd, env)) {
    removed += listOverrides(cwd, env, source).length
    editOverrides(file, (l) => {
      const {isSeq, isMap} = yaml()
      const policies = l.doc.get('policies', true)
      if (!isSeq(policies)) return
      for (let i = policies.items.length - 1; i >= 0; i--) {
        const p = policies.items[i]
        if (isMap(p) && /^custom-(allow|block)-/.test(String(p.get('name')))) policies.delete(i)
      }
    })
  }
  return removed
}
