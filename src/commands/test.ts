import {writeFileSync} from 'node:fs'
import {resolve} from 'node:path'

import {Args, Flags} from '@oclif/core'

import {BaseCommand, callFlags, EXIT_CODES_HELP, policyFlags} from '../cli/base.js'
import {dryRun, printDryRun} from '../cli/dry-run.js'
import {displayPath, paint} from '../cli/format.js'
import {formatCoverage, formatMutations, formatSuite} from '../cli/suite-format.js'
import type {Decision} from '../core/engine/evaluate.js'
import {ExitCode, UsageError} from '../core/errors.js'
import {toJUnit} from '../core/testing/junit.js'
import {findSuiteTargets, isSuiteArgument, runSuites, type SuiteReport} from '../core/testing/suite.js'

export default class Test extends BaseCommand {
  static override summary = 'Dry-run one tool call against the policy, or run policy test suites.'
  static override description = `With a command (or --tool and a path or URL), prints the decision, the deciding policy and rule with file:line, the message and, for a deny, ready-to-run \`rampart allow\` suggestions. Nothing is executed and nothing is counted.

With YAML files (suites with policy: and tests:, or policy files with inline tests:), runs the cases; with no argument, .rampart/tests/*.yaml and then the inline tests of .rampart/policy.yaml. Output ends with "N passed, M failed". --coverage reports which rules the cases exercise, --mutate re-runs every deny/ask case in disguise and reports bypasses.

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> test "rm -rf /"',
    '<%= config.bin %> test "git push --force origin main" --session myapp/main',
    '<%= config.bin %> test ~/.ssh/id_rsa --tool read',
    '<%= config.bin %> test https://webhook.site/x --tool fetch --json',
    '<%= config.bin %> test policies/standard.test.yaml --coverage --min-coverage 90',
    '<%= config.bin %> test --run "deny*" --verbose --junit results.xml',
  ]

  static override strict = false
  static override args = {
    target: Args.string({description: 'The command to try (or the path / URL with --tool), or test suite files.'}),
  }

  static override flags = {
    ...policyFlags,
    ...callFlags,
    run: Flags.string({description: 'Suites only: run the cases whose name matches this glob.'}),
    verbose: Flags.boolean({description: 'Suites only: every case with its message, deciding rule (file:line) and time.', default: false}),
    junit: Flags.string({description: 'Suites only: also write JUnit XML to this file.'}),
    coverage: Flags.boolean({description: 'Suites only: report rule coverage.', default: false}),
    'min-coverage': Flags.integer({description: 'Suites only: fail when fewer than this percentage of rules decide a case.', min: 0, max: 100}),
    mutate: Flags.boolean({description: 'Suites only: re-run every deny/ask exec case in disguise (bash -c, quoting, env, sudo, ...) and report bypasses.', default: false}),
  }

  async run(): Promise<Decision | SuiteReport> {
    const {argv, flags} = await this.parse(Test)
    const args = argv as string[]
    const cwd = flags.cwd ? resolve(flags.cwd) : process.cwd()

    if (args.length === 0 || args.every((a) => isSuiteArgument(a, cwd))) {
      const targets = args.length === 0 ? findSuiteTargets(cwd) : args
      if (targets.length === 0) {
        throw new UsageError('no command and no test suites found — pass a command to dry-run, e.g. rampart test "git status", or add .rampart/tests/*.yaml')
      }
      const wantCoverage = flags.coverage || flags['min-coverage'] !== undefined
      const report = runSuites(targets, {
        cwd,
        load: {cwd, noProject: flags['no-project'], ...(flags.config ? {config: flags.config} : {}), ...(flags.profile ? {profile: flags.profile} : {})},
        ...(flags.run ? {filter: flags.run} : {}),
        coverage: wantCoverage,
        mutate: flags.mutate,
      })
      if (flags.junit) writeFileSync(resolve(cwd, flags.junit), toJUnit(report))
      const problems: string[] = []
      if (flags.run && report.total === 0 && report.invalidFiles === 0) problems.push(`no test case matches --run ${JSON.stringify(flags.run)} — check the name pattern (a glob, * matches anything)`)
      const bypasses = report.mutations?.bypasses.length ?? 0
      if (bypasses > 0) problems.push(`${bypasses} bypass${bypasses === 1 ? '' : 'es'}: a disguised command gets a weaker decision than the original — tighten the rules listed above`)
      const min = flags['min-coverage']
      if (min !== undefined && report.coverage && report.coverage.percent < min) {
        problems.push(`rule coverage ${report.coverage.percent}% is below --min-coverage ${min} — add cases for the rules listed as uncovered`)
      }
      if (!this.jsonEnabled()) {
        const listing = formatSuite(report, flags.verbose)
        if (listing) this.log(listing)
        if (report.coverage) this.log(formatCoverage(report.coverage, flags.verbose))
        if (report.mutations) this.log(formatMutations(report.mutations))
        for (const p of problems) this.log(paint(`rampart: ${p}`, 31))
        this.log(`${report.passed} passed, ${report.failed + report.errors} failed${report.skipped ? `, ${report.skipped} skipped` : ''}`)
      }
      if (report.invalidFiles > 0) this.exitCode = ExitCode.invalidPolicy
      else if (report.failed > 0 || report.errors > 0 || problems.length > 0) this.exitCode = ExitCode.checkFailed
      return {...report, tests: report.tests.map((t) => ({...t, file: displayPath(t.file, cwd)}))}
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
}
