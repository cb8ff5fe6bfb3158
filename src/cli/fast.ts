import {parseArgs} from 'node:util'

import {dryRun, printDryRun} from './dry-run.js'
import {reportError} from './output.js'

/**
 * The flags of `rampart test` for a single dry run, as node:util parseArgs options. Must equal the oclif
 * command's flags (test/cli/fast-path.test.ts checks that), because bin/run.js serves a plain dry run through
 * here without loading oclif — oclif's import alone costs as much as Node's own start-up.
 */
export const FAST_TEST_OPTIONS = {
  tool: {type: 'string'},
  agent: {type: 'string'},
  session: {type: 'string'},
  headless: {type: 'boolean'},
  'no-headless': {type: 'boolean'},
  cwd: {type: 'string'},
  config: {type: 'string'},
  profile: {type: 'string'},
  'no-project': {type: 'boolean'},
  json: {type: 'boolean'},
} as const

/** Flags of `rampart test` that only suites use: their presence sends the call to oclif. */
export const SUITE_ONLY_FLAGS = ['run', 'verbose', 'junit', 'coverage', 'min-coverage', 'mutate'] as const

/**
 * Run `rampart test <args>` when it is one dry run with known flags; undefined means "not mine, let oclif
 * handle it" (help, suites, unknown or malformed flags — oclif then gives the proper usage error).
 */
export function tryFastDryRun(args: string[]): number | undefined {
  let parsed
  try {
    parsed = parseArgs({args, options: FAST_TEST_OPTIONS, strict: true, allowPositionals: true})
  } catch {
    return undefined
  }
  const {values, positionals} = parsed
  if (positionals.length !== 1) return undefined
  const target = positionals[0] as string
  if (/\.ya?ml$/i.test(target) || target === 'help') return undefined
  if (values.headless && values['no-headless']) return undefined
  const json = values.json === true
  try {
    const result = dryRun({
      target,
      tool: values.tool ?? 'exec',
      agent: values.agent ?? 'claude-code',
      session: values.session,
      headless: values.headless ? true : values['no-headless'] ? false : undefined,
      cwd: values.cwd,
      config: values.config,
      profile: values.profile,
      noProject: values['no-project'] === true,
    })
    printDryRun(result, json, values.cwd)
    return result.exitCode
  } catch (error) {
    return reportError(error, json)
  }
}
