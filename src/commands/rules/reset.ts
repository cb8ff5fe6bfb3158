import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base.js'
import {confirm, reloadServer} from '../../cli/overrides.js'
import {RampartError, UsageError} from '../../core/errors.js'
import {resetOverrides} from '../../core/overrides/store.js'

export default class RulesReset extends BaseCommand {
  static override summary = 'Remove every rule added with rampart allow / rampart block (global and project); the profiles stay.'
  static override examples = ['<%= config.bin %> rules reset', '<%= config.bin %> rules reset --force']
  static override flags = {force: Flags.boolean({description: 'Skip the confirmation prompt.', default: false})}

  async run(): Promise<unknown> {
    const {flags} = await this.parse(RulesReset)
    if (!flags.force) {
      if (!process.stdin.isTTY) throw new UsageError('no terminal to confirm — pass --force to reset without asking')
      if (!(await confirm('  Remove every override rule (global and project)? [y/N] '))) throw new RampartError('cancelled — nothing was removed', 1)
    }
    const removed = resetOverrides(process.cwd())
    await reloadServer('http://127.0.0.1:9090')
    if (!this.jsonEnabled()) this.log(`  ✓ Removed ${removed} override rule${removed === 1 ? '' : 's'}`)
    return {removed}
  }
}
