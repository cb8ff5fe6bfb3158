import {Args, Flags} from '@oclif/core'

import {BaseCommand, EXIT_CODES_HELP} from '../../cli/base.js'
import {runLint} from '../../cli/lint-run.js'

export default class PolicyLint extends BaseCommand {
  static override summary = 'Check policy and test-suite files: schema, mistakes, rules that can never fire.'
  static override description = `With no file, lints the project policy (.rampart/policy.yaml), its suites (.rampart/tests/*.yaml) and the global policy files. Every finding has a stable id (RAM001...), a severity, file:line:col and a fix. Formats: text (file:line:col severity id message), json, sarif (SARIF 2.1.0 for GitHub code scanning), github (workflow annotations).

Exit 0 when clean (warnings allowed unless --strict), 1 when a finding fails, 5 when a file cannot be read as YAML at all.
${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> policy lint',
    '<%= config.bin %> policy lint .rampart/policy.yaml --strict',
    '<%= config.bin %> policy lint --format sarif > rampart.sarif',
    '<%= config.bin %> policy lint --format github',
  ]

  static override strict = false
  static override args = {files: Args.string({description: 'Policy or suite files (default: project, suites, global files).'})}
  static override flags = {
    format: Flags.string({description: 'Output format.', options: ['text', 'json', 'sarif', 'github'], default: 'text'}),
    strict: Flags.boolean({description: 'Warnings fail too.', default: false}),
  }

  async run(): Promise<unknown> {
    const {argv, flags} = await this.parse(PolicyLint)
    const format = this.jsonEnabled() ? 'json' : (flags.format as 'text' | 'json' | 'sarif' | 'github')
    const {exitCode, output} = runLint(argv as string[], {format, strict: flags.strict})
    this.exitCode = exitCode
    // --json: the same document as --format json (paths relative to the repository)
    if (this.jsonEnabled()) return JSON.parse(output) as unknown
    this.log(output)
    return undefined
  }
}
