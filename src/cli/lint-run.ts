import {defaultLintTargets, lintFiles, type LintResult} from '../core/lint/lint.js'
import {formatGithub, formatJson, formatSarif, formatText, type LintFormat} from '../core/lint/format.js'
import {ExitCode, type ExitCodeValue} from '../core/errors.js'
import {findProjectRoot, rampartHome, userHome} from '../core/policy/load.js'

/** Shared by the oclif command and the lean entry: lint, format, and choose the exit code. */
export function runLint(files: string[], options: {format: LintFormat; strict: boolean; cwd?: string}): {result: LintResult; exitCode: ExitCodeValue; output: string} {
  const cwd = options.cwd ?? process.cwd()
  const rHome = rampartHome()
  const targets = files.length > 0 ? files : defaultLintTargets(cwd, rHome)
  const result = lintFiles(targets, {cwd, home: userHome(), rampartHome: rHome})
  const base = findProjectRoot(cwd) ?? cwd
  const output = options.format === 'json' ? formatJson(result, base)
    : options.format === 'sarif' ? formatSarif(result, base)
      : options.format === 'github' ? formatGithub(result, base)
        : targets.length === 0 ? 'nothing to lint: no .rampart/policy.yaml, .rampart/tests/*.yaml or global policy files' : formatText(result, base)
  const failing = result.findings.some((f) => f.severity === 'error' || options.strict)
  const exitCode = result.unreadable.length > 0 ? ExitCode.invalidPolicy : failing ? ExitCode.checkFailed : ExitCode.ok
  return {result, exitCode, output}
}
