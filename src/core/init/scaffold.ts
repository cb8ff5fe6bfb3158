import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'

import {RampartError} from '../errors.js'
import {packageRoot} from '../package-root.js'
import {findProjectRoot, listProfiles} from '../policy/load.js'
import {UsageError} from '../errors.js'

export interface InitOptions {
  cwd: string
  profile: string
  github: boolean
  preCommit: boolean
  force: boolean
}

export interface InitResult {
  root: string
  written: string[]
}

/** Which template goes where, relative to the repository root. */
function plan(options: InitOptions): Array<[template: string, target: string]> {
  const files: Array<[string, string]> = [
    ['policy.yaml', '.rampart/policy.yaml'],
    ['tests/policy.test.yaml', '.rampart/tests/policy.test.yaml'],
  ]
  if (options.github) {
    for (const name of ['rampart-check', 'rampart-approve', 'rampart-agent']) files.push([`github/${name}.yml`, `.github/workflows/${name}.yml`])
  }
  if (options.preCommit) files.push(['pre-commit-config.yaml', '.pre-commit-config.yaml'])
  return files
}

/**
 * `rampart init`: write the starter files from templates/ into the repository root (or the current folder
 * outside a repository). All-or-nothing: if any target exists and --force is not given, nothing is written.
 */
export function scaffold(options: InitOptions): InitResult {
  const profiles = listProfiles()
  if (!profiles.includes(options.profile)) throw new UsageError(`unknown profile '${options.profile}' — use one of: ${profiles.join(', ')}`)
  const root = findProjectRoot(options.cwd) ?? options.cwd
  const files = plan(options)
  const existing = files.map(([, target]) => target).filter((t) => existsSync(join(root, t)))
  if (existing.length > 0 && !options.force) {
    throw new RampartError(`${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''} in ${root} — nothing was written; pass --force to overwrite`, 1)
  }
  const written: string[] = []
  for (const [template, target] of files) {
    const text = readFileSync(join(packageRoot(), 'templates', template), 'utf8').replaceAll('{{profile}}', options.profile)
    const file = join(root, target)
    mkdirSync(dirname(file), {recursive: true})
    writeFileSync(file, text)
    written.push(relative(options.cwd, file) || target)
  }
  return {root, written}
}
