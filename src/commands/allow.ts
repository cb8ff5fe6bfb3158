import {Args} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {addRuleCommand, overrideFlags} from '../cli/overrides.js'

export default class Allow extends BaseCommand {
  static override summary = 'Allow a command or path: add a durable override rule.'
  static override description = 'Writes to .rampart/policy.yaml inside a git repository (a project policy can only tighten, so an allow there never unblocks what your own policy blocks — the command says so), else to ~/.rampart/policies/user-overrides.yaml, whose allows beat ask, watch and the default action but never a deny. A pattern that looks like a path (/tmp/**, ~/projects/**, **/node_modules/**) is a path rule for read, write and edit; anything else is a command. Agents cannot run this command: the shipped profiles deny it.'
  static override examples = ['<%= config.bin %> allow "npm install *"', '<%= config.bin %> allow "/tmp/**" --tool read --yes', '<%= config.bin %> allow "go test ./..." --global -m "Go tests are fine"']
  static override args = {pattern: Args.string({description: 'Command or path glob.', required: true})}
  static override flags = overrideFlags

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(Allow)
    return addRuleCommand({action: 'allow', pattern: args.pattern, ...flags, cwd: process.cwd(), log: (l) => this.log(l), json: this.jsonEnabled()})
  }
}
