import {Command, Flags} from '@oclif/core'

import {ExitCode, RampartError, UsageError, type ExitCodeValue} from '../core/errors.js'
import {reportError} from './output.js'

export const EXIT_CODES_HELP = `Exit codes: 0 allowed (allow/watch) or success, 1 a check failed, 2 usage error, 3 denied,
4 needs approval (ask), 5 invalid policy or config file, 70 internal error.`

/** Flags of every command that evaluates a policy (policy.md §1). */
export const policyFlags = {
  config: Flags.string({description: 'Use this policy file instead of the built-in profile layer.', helpGroup: 'POLICY'}),
  profile: Flags.string({description: 'Built-in profile to start from (standard by default).', helpGroup: 'POLICY'}),
  'no-project': Flags.boolean({description: 'Ignore the project policy (.rampart/policy.yaml).', helpGroup: 'POLICY', default: false}),
}

/** Flags that describe one call (rampart test "<call>", rampart policy explain). */
export const callFlags = {
  tool: Flags.string({description: 'Tool of the call: exec, read, write, edit, fetch (or any tool name).', default: 'exec'}),
  agent: Flags.string({description: 'Agent name for match.agent.', default: 'claude-code'}),
  session: Flags.string({description: 'Session id (default: RAMPART_SESSION, else repo/branch from git).'}),
  headless: Flags.boolean({description: 'Decide as in CI (headless_only asks are denied). Default: detected.', allowNo: true}),
  cwd: Flags.string({description: 'Working folder of the call (relative paths, project policy).'}),
}

/**
 * The one place that owns `--json`, error output and exit codes. Commands return their result; they set
 * `this.exitCode` for outcomes that are not errors (deny = 3, ask = 4) and throw RampartError for failures.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  protected exitCode: ExitCodeValue = ExitCode.ok

  protected override async finally(error: Error | undefined): Promise<void> {
    if (!error && this.exitCode !== ExitCode.ok) process.exitCode = this.exitCode
    await super.finally(error)
  }

  protected override async catch(error: Error & {oclif?: {exit?: number}}): Promise<unknown> {
    // oclif's own parse errors (unknown flag, missing argument) are usage errors: exit 2
    if (!(error instanceof RampartError) && error.oclif?.exit !== undefined) {
      if (error.oclif.exit === 0) throw error
      process.exitCode = reportError(new UsageError(error.message), this.jsonEnabled())
      return undefined
    }
    process.exitCode = reportError(error, this.jsonEnabled())
    return undefined
  }
}
