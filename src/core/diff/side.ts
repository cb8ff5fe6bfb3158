import {mkdirSync, writeFileSync} from 'node:fs'
import {dirname, join, posix, relative, resolve, sep} from 'node:path'

import type {ToolCall} from '../engine/evaluate.js'
import {PolicyError, RampartError} from '../errors.js'
import {PROFILES_DIR, loadPolicy, type LoadOptions, type PolicySet} from '../policy/load.js'
import {parsePolicyText} from '../policy/parse.js'
import {findSuiteTargets, prepareSuites} from '../testing/suite.js'
import {policiesOf, type PolicyRules} from './rules.js'
import type {SideInfo} from './types.js'

export const PROJECT_POLICY = '.rampart/policy.yaml'

/** A test case as the diff replays it: the call, and where it is written. */
export interface SuiteCall {
  name: string
  where: string
  call: ToolCall
  headless: boolean
}

/** One revision, materialised and loaded. */
export interface Side {
  info: SideInfo
  /** the temporary folder laid out like the repository */
  root: string
  /** repository-relative path → text: policy and suite YAML, recorded calls */
  files: Map<string, string>
  /** undefined when the layered policy cannot be loaded (info.error says why) */
  set: PolicySet | undefined
  /** the project policies for the rule comparison; undefined when the file does not parse */
  project: PolicyRules[] | undefined
  suites: SuiteCall[]
  warnings: string[]
  /** a loaded file's path as people should see it */
  display(file: string): string
  /** a message with the temporary folder taken out of every path */
  clean(text: string): string
}

export interface SideOptions {
  /** the real repository top level: calls run there, not in the temporary copy */
  repoRoot: string
  /** the real working folder, for paths outside the repository (--config) */
  cwd: string
  load: Pick<LoadOptions, 'config' | 'profile' | 'env'>
  rampartHome: string
  /** read a file outside .rampart that a suite names with `policy:` */
  fetchExtra(path: string): Promise<string | undefined>
}

const isYaml = (p: string) => /\.ya?ml$/i.test(p)

/**
 * Write a side's policy files into `root` as the repository has them, with a `.git` marker folder so that the loader
 * finds its project policy exactly as in the real checkout, then load it with the CLI's layering.
 */
export async function loadSide(info: SideInfo, files: Map<string, string>, root: string, options: SideOptions): Promise<Side> {
  const warnings: string[] = []
  mkdirSync(join(root, '.git'), {recursive: true})
  await addSuiteTargets(files, options)
  for (const [path, text] of files) {
    if (!isYaml(path)) continue
    const target = join(root, ...path.split('/'))
    mkdirSync(dirname(target), {recursive: true})
    writeFileSync(target, text)
  }
  const prefix = root.endsWith(sep) ? root : root + sep
  const clean = (text: string) => text.split(prefix).join('').split(root).join('.')
  const display = (file: string): string => {
    if (file.startsWith(prefix)) return relative(root, file).split(sep).join('/')
    if (file.startsWith(PROFILES_DIR + sep)) return `builtin:${relative(PROFILES_DIR, file).split(sep).join('/')}`
    if (file.startsWith(options.rampartHome + sep)) return `$RAMPART_HOME/${relative(options.rampartHome, file).split(sep).join('/')}`
    const rel = relative(options.cwd, file)
    return rel && !rel.startsWith('..') && !rel.startsWith(sep) ? rel.split(sep).join('/') : file
  }
  const side: Side = {info, root, files, set: undefined, project: [], suites: [], warnings, display, clean}

  // patterns compile on first use and stay compiled: the set is reused for every call, and rules that no call
  // reaches are never compiled at all
  const load: LoadOptions = {...options.load, cwd: root}
  try {
    side.set = loadPolicy(load)
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error
    info.error = `${info.label}: ${clean(error.message)}`
  }
  const policyText = files.get(PROJECT_POLICY)
  info.project_policy = policyText !== undefined
  if (policyText !== undefined) {
    const compiled = side.set?.compiled.find((c) => c.layer === 'project')
    try {
      side.project = policiesOf(compiled?.parsed ?? parsePolicyText(policyText, join(root, ...PROJECT_POLICY.split('/'))), PROJECT_POLICY)
    } catch (error) {
      if (!(error instanceof RampartError)) throw error
      side.project = undefined
      info.error ??= `${info.label}: ${clean(error.message)}`
    }
  }
  side.suites = suiteCalls(side, load, options.repoRoot)
  return side
}

/** Suites may name the policy they test with `policy:`; a file outside .rampart is fetched too, or the suite fails. */
async function addSuiteTargets(files: Map<string, string>, options: SideOptions): Promise<void> {
  const wanted = new Set<string>()
  for (const [path, text] of files) {
    if (!isYaml(path)) continue
    const m = /^policy:[ \t]*(['"]?)([^'"#\r\n]+?)\1[ \t]*(?:#.*)?$/m.exec(text)
    if (!m?.[2]) continue
    const target = posix.normalize(posix.join(posix.dirname(path), m[2].trim()))
    if (!target.startsWith('../') && !posix.isAbsolute(target) && !files.has(target) && isYaml(target)) wanted.add(target)
  }
  for (const path of wanted) {
    const text = await options.fetchExtra(path)
    if (text !== undefined) files.set(path, text)
  }
}

function suiteCalls(side: Side, load: LoadOptions, repoRoot: string): SuiteCall[] {
  const root = side.root
  const targets = new Set(findSuiteTargets(root))
  for (const path of side.files.keys()) if (/\.test\.ya?ml$/i.test(path)) targets.add(join(root, ...path.split('/')))
  if (targets.size === 0) return []
  const {cases, report} = prepareSuites([...targets], {cwd: root, load})
  // an invalid policy already stops this side; its suites failing for the same reason says nothing new
  if (side.set) for (const m of report.errorMessages) side.warnings.push(`${side.info.label}: ${side.clean(m)}`)
  const prefix = root + sep
  const toRepo = (p: string | undefined) => (p === undefined ? undefined : p === root ? repoRoot : p.startsWith(prefix) ? resolve(repoRoot, relative(root, p)) : p)
  return cases.map((pc) => {
    const call: ToolCall = {...pc.call}
    // the cases run where the repository is, not in the temporary copy, so both sides see the same paths
    const cwd = toRepo(call.cwd)
    if (cwd !== undefined) call.cwd = cwd
    return {name: pc.tc.name, where: `${side.display(pc.file)}:${pc.pos.line}`, call, headless: pc.tc.headless ?? false}
  })
}
