import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base.js'
import {confirm, reloadServer} from '../../cli/overrides.js'
import {RampartError, UsageError} from '../../core/errors.js'
import {listOverrides, removeOverride} from '../../core/overrides/store.js'

export default class RulesRemove extends BaseCommand {
  static override summary = 'Remove an override rule by its number in `rampart rules`.'
  static override examples = ['<%= config.bin %> rules remove 3', '<%= config.bin %> rules remove 3 --force']
  static override args = {index: Args.integer({description: 'The # shown by rampart rules.', required: true, min: 1})}
  static override flags = {force: Flags.boolean({description: 'Skip the confirmation prompt.', default: false})}

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(RulesRemove)
    const rules = listOverrides(process.cwd())
    const rule = rules.find((r) => r.index === args.index)
    if (!rule) throw new UsageError(`there is no rule #${args.index} — rampart rules lists ${rules.length} rule${rules.length === 1 ? '' : 's'}`)
    if (!flags.force) {
      if (!process.stdin.isTTY) throw new UsageError('no terminal to confirm — pass --force to remove without asking')
      if (!(await confirm(`  Remove #${rule.index} ${rule.action} ${rule.tool} "${rule.pattern}"? [y/N] `))) throw new RampartError('cancelled — nothing was removed', 1)
    }
    removeOverride(rule)
    await reloadServer('http://127.0.0.1:9090')
    if (!this.jsonEnabled()) this.log(`  ✓ Removed #${rule.index}: ${rule.action} ${rule.tool} ${rule.pattern}`)
    return {removed: {index: rule.index, source: rule.source, action: rule.action, tool: rule.tool, pattern: rule.pattern}}
  }
}
