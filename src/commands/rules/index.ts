import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base.js'
import {ago} from '../../cli/overrides.js'
import {listOverrides, overrideFile} from '../../core/overrides/store.js'
import {loadPolicy} from '../../core/policy/load.js'

export default class Rules extends BaseCommand {
  static override summary = 'List the rules added with rampart allow / rampart block.'
  static override examples = ['<%= config.bin %> rules', '<%= config.bin %> rules --global', '<%= config.bin %> rules --json', '<%= config.bin %> rules remove 3']
  static override flags = {
    global: Flags.boolean({description: 'Global rules only.', exclusive: ['project']}),
    project: Flags.boolean({description: 'Project rules only.', exclusive: ['global']}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Rules)
    const cwd = process.cwd()
    const only = flags.global ? 'global' : flags.project ? 'project' : undefined
    const rules = listOverrides(cwd, process.env, only)
    if (this.jsonEnabled()) {
      return rules.map((r) => ({index: r.index, source: r.source, action: r.action, tool: r.tool, pattern: r.pattern, ...(r.message ? {message: r.message} : {}), added_at: r.added ?? null}))
    }
    const line = '  ' + '─'.repeat(62)
    const out = ['  Custom Rules', line]
    for (const source of ['global', 'project'] as const) {
      if (only && only !== source) continue
      const list = rules.filter((r) => r.source === source)
      // outside a git repository there is no project file to show
      if (source === 'project') {
        try {
          overrideFile(source, cwd)
        } catch {
          continue
        }
      }
      out.push('', `  ${source === 'global' ? 'Global' : 'Project'}  (${source === 'global' ? '~/.rampart/policies/user-overrides.yaml' : '.rampart/policy.yaml'})`, '')
      if (list.length === 0) {
        out.push('  (none)')
        continue
      }
      out.push(`  ${'#'.padEnd(5)} ${'ACTION'.padEnd(8)} ${'TOOL'.padEnd(9)} ${'PATTERN'.padEnd(36)} ADDED`)
      for (const r of list) out.push(`  ${String(r.index).padStart(4)}  ${r.action.padEnd(8)} ${r.tool.padEnd(9)} ${r.pattern.padEnd(36)} ${ago(r.added)}`)
    }
    let standard = 0
    try {
      const policy = loadPolicy({cwd})
      standard = policy.policies.filter((p) => p.enabled && !/^custom-(allow|block)-/.test(p.name)).reduce((n, p) => n + p.rules.length, 0)
    } catch {
      standard = 0
    }
    out.push('', line, `  Total: ${standard + rules.length} rules (${standard} standard + ${rules.length} overrides)`, '  Manage: rampart rules remove <#>')
    this.log(out.join('\n'))
    return undefined
  }
}
