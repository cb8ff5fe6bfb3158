import {parseArgs} from 'node:util'

import * as YAML from 'yaml'

import {provideYaml} from '../core/lazy.js'
import {runLint} from './lint-run.js'
import {reportError} from './output.js'
import {out} from './write.js'

provideYaml(YAML)

/** The flags of `rampart policy lint`; test/cli/fast-path.test.ts keeps them equal to the oclif command's. */
export const FAST_LINT_OPTIONS = {
  format: {type: 'string'},
  strict: {type: 'boolean'},
  json: {type: 'boolean'},
} as const

const FORMATS = new Set(['text', 'json', 'sarif', 'github'])

/**
 * `rampart policy lint [files] [--format F] [--strict] [--json]` without oclif (pre-commit runs it on every
 * commit). Anything else — help, unknown flags, a bad format — returns undefined and oclif answers instead.
 */
export function tryFastLint(args: string[]): number | undefined {
  let parsed
  try {
    parsed = parseArgs({args, options: FAST_LINT_OPTIONS, strict: true, allowPositionals: true})
  } catch {
    return undefined
  }
  const {values, positionals} = parsed
  const format = values.json ? 'json' : values.format ?? 'text'
  if (!FORMATS.has(format)) return undefined
  try {
    const {exitCode, output} = runLint(positionals, {format: format as 'text', strict: values.strict === true})
    out(output + '\n')
    return exitCode
  } catch (error) {
    return reportError(error, values.json === true)
  }
}
