import {Args} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {addRuleCommand, overrideFlags} from '../cli/overrides.js'

export default class Block extends BaseCommand {
  static override summary = 'Block a command or path: add a deny rule.'
  static override description = 'Writes a deny rule to .rampart/policy.yaml inside a git repository (shared with the team), else to ~/.rampart/policies/user-overrides.yaml. A pattern that looks like a path is a path rule for read, write and edit; anything else is a command. A deny always wins over allows elsewhere.'
  static override examples = ['<%= config.bin %> block "npm publish *" --message "Publishing requires human review"', '<%= config.bin %> block "curl * | bash"']
  static override args = {pattern: Args.string({description: 'Command or path glob.', required: true})}
  static override flags = overrideFlags

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(Block)
    return addRuleCommand({action: 'deny', pattern: args.pattern, ...flags, cwd: process.cwd(), log: (l) => this.log(l), json: this.jsonEnabled()})
  }
}
