import {homedir} from 'node:os'

import {Flags} from '@oclif/core'

import {UsageError} from '../../core/errors.js'
import {BaseCommand} from '../../cli/base.js'
import {findProjectRoot} from '../../core/policy/load.js'
import {installHook, removeHook, settingsFile} from '../../core/setup/claude-code.js'

export default class SetupClaudeCode extends BaseCommand {
  static override summary = 'Install (or --remove) the Rampart hook in Claude Code\'s settings.'
  static override description = `Adds PreToolUse and PostToolUse hooks that run \`rampart hook claude-code\` to ~/.claude/settings.json (or --project: .claude/settings.json). Other settings and hooks are kept, running it twice changes nothing, and the first run keeps a backup; --remove restores the previous file exactly (or, if you changed it since, removes only Rampart's entries).

--http wires Claude Code's HTTP hook to a running \`rampart serve\` instead (no process per tool call). Trade-off: Claude Code treats a failed HTTP hook as non-blocking, so while the server is down calls are NOT checked — prefer the command hook unless you monitor the server.`
  static override examples = ['<%= config.bin %> setup claude-code', '<%= config.bin %> setup claude-code --project', '<%= config.bin %> setup claude-code --remove']
  static override flags = {
    project: Flags.boolean({description: 'Use the project\'s .claude/settings.json.', default: false}),
    http: Flags.boolean({description: 'Use the HTTP hook of a running rampart serve (see the trade-off above).', default: false}),
    api: Flags.string({description: 'Server address for --http.', default: 'http://127.0.0.1:9090'}),
    token: Flags.string({description: 'Write this bearer token into the settings for --http (default: Claude Code sends $RAMPART_TOKEN from its environment; never with --project, where the file is shared).'}),
    remove: Flags.boolean({description: 'Remove the hook again.', default: false}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(SetupClaudeCode)
    const cwd = findProjectRoot(process.cwd()) ?? process.cwd()
    const file = settingsFile(flags.project, cwd, process.env.HOME || homedir())
    if (flags.remove) {
      const r = removeHook(file)
      if (!this.jsonEnabled()) this.log(r.restored === 'backup' ? `Restored ${file} as it was before` : r.restored === 'entries' ? `Removed Rampart's hooks from ${file}` : `No Rampart hook in ${file}`)
      return {file, ...r}
    }
    // a project settings file is committed and shared: a token written there would leak
    if (flags.token && flags.project) throw new UsageError('--token with --project would commit the server token — drop --token; Claude Code then sends $RAMPART_TOKEN from its environment')
    const token = flags.token
    const r = installHook({file, ...(flags.http ? {http: {url: new URL('/v1/hooks/claude-code', flags.api).href, ...(token ? {token} : {})}} : {})})
    if (!this.jsonEnabled()) {
      this.log(r.changed ? `Installed the Rampart hook in ${file} (backup: ${r.backup})` : `The Rampart hook is already installed in ${file}`)
      if (flags.http) {
        if (!token) this.log('Claude Code sends the token from its environment: export RAMPART_TOKEN=$(rampart token) before starting it.')
        this.log('Note: Claude Code lets calls through when the HTTP hook fails — keep rampart serve running.')
      }
    }
    return r
  }
}
