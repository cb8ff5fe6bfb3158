import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join, resolve} from 'node:path'

import {PolicyError, UsageError} from '../errors.js'
import {fingerprint, packageRoot} from '../package-root.js'
import {compileFile, type CompiledFile, type CompiledPolicy, type Layer} from './compile.js'
import {fromSnapshot, parsePolicyText, readPolicyFile, type ParsedFile, type Snapshot} from './parse.js'
import type {Action} from './types.js'

/** Shipped profiles live next to the package: policies/<name>.yaml. */
export const PROFILES_DIR = join(packageRoot(), 'policies')
/** Pre-parsed shipped profiles, written by the build (dist/profiles/<name>.json). */
const SNAPSHOT_DIR = join(packageRoot(), 'dist', 'profiles')

/**
 * A shipped profile: the build's pre-parsed snapshot when its hash still matches the YAML (no YAML parser on the
 * start-up path), else the YAML itself.
 */
function readProfile(file: string): {parsed: ParsedFile; trusted: boolean} {
  const name = file.slice(file.lastIndexOf('/') + 1).replace(/\.ya?ml$/, '')
  try {
    const snapshot = JSON.parse(readFileSync(join(SNAPSHOT_DIR, `${name}.json`), 'utf8')) as Snapshot
    // the file the build saw (same size and modification time) needs no reading at all; otherwise compare contents
    const st = statSync(file)
    if (st.size === snapshot.size && st.mtimeMs === snapshot.mtimeMs) {
      return {parsed: fromSnapshot(snapshot, file, () => readFileSync(file, 'utf8')), trusted: true}
    }
    const text = readFileSync(file, 'utf8')
    if (snapshot.fingerprint === fingerprint(text)) return {parsed: fromSnapshot(snapshot, file, () => text), trusted: true}
    return {parsed: parsePolicyText(text, file), trusted: false}
  } catch {
    return {parsed: readPolicyFile(file), trusted: false}
  }
}
export const DEFAULT_PROFILE = 'standard'
/** Files in the global folder whose allow rules beat ask / watch / the default (never a deny). */
export const OVERRIDE_FILES = new Set(['user-overrides.yaml', 'auto-allowed.yaml'])

export interface LoadOptions {
  /** Folder the call runs in; the project policy is found from its git top level. Default: process.cwd(). */
  cwd?: string
  /** Environment: RAMPART_HOME, RAMPART_NO_PROJECT_POLICY, HOME. Default: process.env. */
  env?: Record<string, string | undefined>
  /** Replace the built-in profile layer with this one file. */
  config?: string
  /** Built-in profile name (default: standard). */
  profile?: string
  /** Skip the project policy. */
  noProject?: boolean
  /** Skip $RAMPART_HOME/policies (test suites that name their policy file test that file alone). */
  noGlobal?: boolean
  /**
   * Compile every glob and regular expression now. Long-running processes (server, benchmarks) want this; a
   * one-shot dry run leaves each pattern set to be compiled the first time a call reaches it (never per call).
   */
  eager?: boolean
}

export interface LoadedFile {
  file: string
  layer: Layer
}

export interface PolicySet {
  /** Every enabled and disabled policy, sorted by priority then load order. */
  policies: CompiledPolicy[]
  defaultAction: Action
  /** The file that set default_action, or undefined when none did (deny). */
  defaultFrom: string | undefined
  files: LoadedFile[]
  compiled: CompiledFile[]
  /** Non-fatal problems: skipped project policies, ignored project default_action. */
  warnings: string[]
  /** The user's home folder, for ~ in paths. */
  home: string
  rampartHome: string
  projectRoot: string | undefined
  /** Policies in scope for a tool name, memoised: the match.tool check runs once per tool, not per call. */
  forTool(tool: string): CompiledPolicy[]
}

export function rampartHome(env: Record<string, string | undefined> = process.env): string {
  return env.RAMPART_HOME ? resolve(env.RAMPART_HOME) : join(userHome(env), '.rampart')
}

/** The user's home folder, without a trailing slash (HOME=/home/u/ must give ~/.ssh = /home/u/.ssh). */
export function userHome(env: Record<string, string | undefined> = process.env): string {
  const home = env.HOME || env.USERPROFILE || homedir()
  return home.length > 1 ? home.replace(/\/+$/, '') || '/' : home
}

/** The git top level of `cwd` (the folder holding .git, a folder or a worktree's file), found without running git. */
export function findProjectRoot(cwd: string): string | undefined {
  let dir = resolve(cwd)
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

export function listProfiles(): string[] {
  try {
    return readdirSync(PROFILES_DIR).filter((f) => f.endsWith('.yaml') && !f.includes('.test.')).map((f) => f.slice(0, -5)).sort()
  } catch {
    return []
  }
}

export function profilePath(name: string): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name) || !existsSync(join(PROFILES_DIR, `${name}.yaml`))) {
    throw new UsageError(`unknown profile '${name}' — use one of: ${listProfiles().join(', ')}`)
  }
  return join(PROFILES_DIR, `${name}.yaml`)
}

const caseInsensitivePaths = process.platform === 'darwin' || process.platform === 'win32'

/**
 * Load the layered policy (policy.md §1): built-in profile (or --config), the global folder, the project policy.
 * All or nothing: any invalid file throws a PolicyError and nothing is returned half-loaded.
 */
export function loadPolicy(options: LoadOptions = {}): PolicySet {
  const env = options.env ?? process.env
  const cwd = resolve(options.cwd ?? process.cwd())
  const home = userHome(env)
  const rHome = rampartHome(env)
  const warnings: string[] = []
  const compiled: CompiledFile[] = []
  let order = 0
  const add = (file: string, layer: Layer): CompiledFile => {
    const profile = layer === 'builtin' ? readProfile(file) : {parsed: readPolicyFile(file), trusted: false}
    const c = compileFile(profile.parsed, {layer, home, caseInsensitivePaths, orderStart: order, trusted: profile.trusted, lazyWhen: profile.trusted && options.eager !== true})
    order += c.policies.length
    compiled.push(c)
    return c
  }

  if (options.config) {
    const file = resolve(cwd, options.config)
    if (!existsSync(file)) throw new UsageError(`--config ${options.config}: no such file — pass the path of a policy YAML file`)
    add(file, 'config')
  } else {
    add(profilePath(options.profile ?? DEFAULT_PROFILE), 'builtin')
  }

  const globalDir = join(rHome, 'policies')
  for (const name of options.noGlobal ? [] : listYaml(globalDir)) {
    add(join(globalDir, name), OVERRIDE_FILES.has(name) ? 'override' : 'global')
  }

  const noProject = options.noProject === true || isTruthy(env.RAMPART_NO_PROJECT_POLICY)
  const projectRoot = findProjectRoot(cwd)
  if (!noProject && projectRoot) {
    const file = join(projectRoot, '.rampart', 'policy.yaml')
    if (existsSync(file)) add(file, 'project')
  }

  // Names: unique across built-in and global layers, a global may replace a built-in, project duplicates are skipped.
  const byName = new Map<string, CompiledPolicy>()
  const kept: CompiledPolicy[] = []
  for (const file of compiled) {
    for (const policy of file.policies) {
      const existing = byName.get(policy.name)
      if (!existing) {
        byName.set(policy.name, policy)
        kept.push(policy)
        continue
      }
      if (policy.layer === 'project') {
        warnings.push(`${policy.pos.file}:${policy.pos.line}:${policy.pos.col}: project policy '${policy.name}' has the name of a policy in ${existing.file} and is skipped — rename it`)
        continue
      }
      if ((existing.layer === 'builtin' || existing.layer === 'config') && (policy.layer === 'global' || policy.layer === 'override')) {
        policy.replaces = existing.file
        kept[kept.indexOf(existing)] = policy
        byName.set(policy.name, policy)
        continue
      }
      throw new PolicyError(policy.pos, `duplicate policy name '${policy.name}', also defined at ${existing.pos.file}:${existing.pos.line}`,
        'rename one of them; policy names must be unique across the built-in and global policy files')
    }
  }
  kept.sort((a, b) => a.priority - b.priority || a.order - b.order)
  if (options.eager) for (const p of kept) compileEagerly(p)

  let defaultAction: Action = 'deny'
  let defaultFrom: string | undefined
  for (const file of compiled) {
    if (file.defaultAction === undefined) continue
    if (file.layer === 'project') {
      warnings.push(`${file.file}: default_action in a project policy is ignored — project policies can only tighten; set it in $RAMPART_HOME/policies instead`)
      continue
    }
    if (defaultFrom === undefined) {
      defaultAction = file.defaultAction
      defaultFrom = file.file
    }
  }

  const memo = new Map<string, CompiledPolicy[]>()
  const forTool = (tool: string): CompiledPolicy[] => {
    let list = memo.get(tool)
    if (!list) {
      list = kept.filter((p) => p.enabled && (!p.match.tool || toolMatches(p.match.tool, tool)))
      memo.set(tool, list)
    }
    return list
  }

  return {
    policies: kept,
    defaultAction,
    defaultFrom,
    files: compiled.map((c) => ({file: c.file, layer: c.layer})),
    compiled,
    warnings,
    home,
    rampartHome: rHome,
    projectRoot,
    forTool,
  }
}

function listYaml(dir: string): string[] {
  try {
    if (!statSync(dir).isDirectory()) return []
    return readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort()
  } catch {
    return []
  }
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false'
}

/**
 * `match.tool` lists are almost always plain names (`[exec]`, `[read, write, edit]`): comparing the text saves
 * building a glob set for every policy in a one-shot process. Anything with a glob character goes through the set.
 */
function toolMatches(set: NonNullable<CompiledPolicy['match']['tool']>, tool: string): boolean {
  return set.sources.every((s) => !/[*?[\]{}\\]/.test(s)) ? set.sources.includes(tool) : set.test(tool)
}

function compileEagerly(policy: CompiledPolicy): void {
  for (const g of [policy.match.tool, policy.match.agent, policy.match.session]) g?.compile()
  for (const rule of policy.rules) {
    const w = rule.when
    for (const g of [w.command, w.commandNot, w.envAssignments, w.path, w.pathNot, w.url, w.domain, w.session, w.sessionNot]) g?.compile()
    for (const [, g] of w.params ?? []) g.compile()
    for (const r of [...(w.response ?? []), ...(w.responseNot ?? [])]) r.test('')
  }
}
