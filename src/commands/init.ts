import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {scaffold, type InitResult} from '../core/init/scaffold.js'

export default class Init extends BaseCommand {
  static override summary = 'Start a project policy: .rampart/policy.yaml, a test suite, and optionally CI and pre-commit files.'
  static override description = 'Writes a commented .rampart/policy.yaml (with the schema line for editor completion) and .rampart/tests/policy.test.yaml; --github adds the workflows .github/workflows/rampart-check.yml (policy checks on pull requests), rampart-approve.yml (approvals by PR comment) and rampart-agent.yml (an agent job under Rampart), --pre-commit adds .pre-commit-config.yaml. Nothing is overwritten without --force. The written files pass `rampart policy lint` and `rampart test`.'
  static override examples = ['<%= config.bin %> init', '<%= config.bin %> init --profile paranoid --github --pre-commit']
  static override flags = {
    profile: Flags.string({description: 'The built-in profile the team uses (named in the files and the workflow).', default: 'standard'}),
    github: Flags.boolean({description: 'Also write the GitHub workflows (rampart-check, rampart-approve, rampart-agent).', default: false}),
    'pre-commit': Flags.boolean({description: 'Also write .pre-commit-config.yaml.', default: false}),
    force: Flags.boolean({description: 'Overwrite files that already exist.', default: false}),
  }

  async run(): Promise<InitResult> {
    const {flags} = await this.parse(Init)
    const result = scaffold({cwd: process.cwd(), profile: flags.profile, github: flags.github, preCommit: flags['pre-commit'], force: flags.force})
    if (!this.jsonEnabled()) {
      for (const f of result.written) this.log(`wrote ${f}`)
      this.log('Next: rampart test   (runs the new suite)   ·   rampart policy lint')
    }
    return result
  }
}
