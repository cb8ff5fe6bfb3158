import {Command, Flags} from '@oclif/core'

import {runHook} from '../../cli/fast-hook.js'

export default class HookClaudeCode extends Command {
  static override summary = 'The Claude Code hook: read the tool call on stdin, answer allow / deny / ask on stdout.'
  static override description = `Install it with \`rampart setup claude-code\`. Handles PreToolUse (allow, deny with the ready-to-run \`rampart allow\` hint, or ask — in headless mode an ask needs an approval channel, else it is denied) and PostToolUse (output matching response_matches rules is blocked). Always exits 0 with a decision: malformed input, an invalid policy or an unwritable RAMPART_HOME is a deny that says why.`
  static override examples = ['echo \'{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf /"},"cwd":"/tmp"}\' | <%= config.bin %> hook claude-code']
  static override flags = {
    config: Flags.string({description: 'Use this policy file instead of the built-in profile layer.'}),
    profile: Flags.string({description: 'Built-in profile to start from (standard by default).'}),
    'no-project': Flags.boolean({description: 'Ignore the project policy.', default: false}),
  }

  async run(): Promise<void> {
    // parsed by runHook itself, so that even a bad flag answers with a deny instead of a usage error
    runHook(this.argv)
  }
}
