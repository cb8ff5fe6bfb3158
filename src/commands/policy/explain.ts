import {Args} from '@oclif/core'

import {BaseCommand, callFlags, EXIT_CODES_HELP, policyFlags} from '../../cli/base.js'
import {decisionExitCode, prepareCall} from '../../cli/dry-run.js'
import {formatExplanation} from '../../cli/explain-format.js'
import {explain, type Explanation} from '../../core/engine/explain.js'

export default class PolicyExplain extends BaseCommand {
  static override summary = 'Show how the policy decides one call, step by step.'
  static override description = `Every policy in priority order — in or out of scope and why — each rule tried with the condition and the command component that matched or failed, and why the final action won. The decision is the same evaluation \`rampart test\` runs, with a trace attached.

${EXIT_CODES_HELP}`

  static override examples = [
    `<%= config.bin %> policy explain "bash -c 'rm -rf /'"`,
    '<%= config.bin %> policy explain ~/.aws/credentials --tool read',
    '<%= config.bin %> policy explain "npm publish" --json',
  ]

  static override args = {
    target: Args.string({description: 'The command (or the path / URL with --tool).', required: true}),
  }

  static override flags = {...policyFlags, ...callFlags}

  async run(): Promise<Explanation> {
    const {args, flags} = await this.parse(PolicyExplain)
    const {policy, call, headless} = prepareCall({
      target: args.target,
      tool: flags.tool,
      agent: flags.agent,
      session: flags.session,
      headless: flags.headless,
      cwd: flags.cwd,
      config: flags.config,
      profile: flags.profile,
      noProject: flags['no-project'],
    })
    const x = explain(policy, call, {headless})
    if (!this.jsonEnabled()) this.log(formatExplanation(x, call.cwd))
    this.exitCode = decisionExitCode(x.decision.action)
    return x
  }
}
