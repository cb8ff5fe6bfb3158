import {Args, Flags} from '@oclif/core'

import {BaseCommand, callFlags, EXIT_CODES_HELP, policyFlags} from '../cli/base.js'
import {dryRun, printDryRun} from '../cli/dry-run.js'
import {displayPath, paint} from '../cli/format.js'
import type {Decision} from '../core/engine/evaluate.js'
import {ExitCode, UsageError} from '../core/errors.js'
import {findSuiteTargets, isSuiteArgument, runSuites, type SuiteReport} from '../core/testing/suite.js'

export default class Test extends BaseCommand {
  static override summary = 'Dry-run one tool call against the policy, or run policy test suites.'
  static override description = `With a command (or --tool and a path or URL), prints the decision, the deciding policy and rule with file:line, the message and, for a deny, ready-to-run \`rampart allow\` suggestions. Nothing is executed and nothing is counted.

With YAML files (or no argument), runs test suites: .rampart/tests/*.yaml, then the inline tests: of .rampart/policy.yaml.

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> test "rm -rf /"',
    '<%= config.bin %> test "git push --force origin main" --session myapp/main',
    '<%= config.bin %> test ~/.ssh/id_rsa --tool read',
    '<%= config.bin %> test https://webhook.site/x --tool fetch --json',
    '<%= config.bin %> test policies/standard.test.yaml',
  ]

  static override strict = false
  static override args = {
    target: Args.string({description: 'The command to try (or the path / URL with --tool), or test suite files.'}),
  }

  static override flags = {
    ...policyFlags,
    ...callFlags,
    run: Flags.string({description: 'Suites only: run the cases whose name matches this glob.'}),
    verbose: Flags.boolean({description: 'Suites only: print passing cases too.', default: false}),
  }

  async run(): Promise<Decision | SuiteReport> {
    const {argv, flags} = await this.parse(Test)
    const args = argv as string[]
    const cwd = flags.cwd ? (await import('node:path')).resolve(flags.cwd) : process.cwd()
    const loadOptions = {
      cwd,
      ...(flags.config ? {config: flags.config} : {}),
      ...(flags.profile ? {profile: flags.profile} : {}),
      noProject: flags['no-project'],
    }

    if (args.length === 0 || args.every((a) => isSuiteArgument(a, cwd))) {
      const targets = args.length === 0 ? findSuiteTargets(cwd) : args
      if (targets.length === 0) {
        throw new UsageError('no command and no test suites found — pass a command to dry-run, e.g. rampart test "git status", or add .rampart/tests/*.yaml')
      }
      const report = runSuites(targets, {cwd, load: loadOptions, ...(flags.run ? {filter: flags.run} : {})})
      if (!this.jsonEnabled()) this.printSuite(report, flags.verbose)
      if (report.failed > 0 || report.errors > 0) this.exitCode = ExitCode.checkFailed
      return report
    }
    if (args.length > 1) {
      throw new UsageError(`expected one command but got ${args.length} arguments — quote the whole command: rampart test "${args.join(' ')}"`)
    }

    const result = dryRun({
      target: args[0] as string,
      tool: flags.tool,
      agent: flags.agent,
      session: flags.session,
      headless: flags.headless,
      cwd,
      config: flags.config,
      profile: flags.profile,
      noProject: flags['no-project'],
    })
    if (!this.jsonEnabled()) printDryRun(result, false, cwd)
    this.exitCode = result.exitCode
    return result.decision
  }

  private printSuite(report: SuiteReport, verbose: boolean): void {
    for (const r of report.tests) {
      if (r.passed && !verbose) continue
      const mark = r.passed ? paint('PASS', 32) : paint('FAIL', 31)
      this.log(`${mark} ${r.name}  (${displayPath(r.file)}:${r.line})`)
      if (!r.passed) this.log(`     ${r.failure ?? `expected ${r.expected}, got ${r.got}`}`)
    }
    for (const e of report.errorMessages) this.log(paint(`ERROR ${e}`, 31))
    this.log(`${report.passed} passed, ${report.failed} failed${report.skipped ? `, ${report.skipped} skipped` : ''}`)
  }
}
