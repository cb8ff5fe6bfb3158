import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base.js'
import {out} from '../../cli/write.js'
import {parseDuration} from '../../core/duration.js'
import {readAuditEvents} from '../../core/audit/verify.js'
import {UsageError} from '../../core/errors.js'
import {rampartHome} from '../../core/policy/load.js'
import {readRecorded} from '../../core/state/decision-log.js'

export default class AuditExport extends BaseCommand {
  static override summary = 'Write audit events, or with --calls every recorded decision, as JSON lines on stdout.'
  static override description = `--calls exports every real decision the hook and rampart serve made ($RAMPART_HOME/state/decisions.jsonl): {at, tool, params: {command|path|url}, agent, session, cwd, decision, policy}, secrets redacted, never file contents or tool output. Save it under .rampart/recorded/ and rampart policy diff replays those calls against a policy change.`
  static override examples = ['<%= config.bin %> audit export --calls > .rampart/recorded/this-week.jsonl', '<%= config.bin %> audit export --calls --since 7d --session shop/main', '<%= config.bin %> audit export > audit.jsonl']
  static override flags = {
    calls: Flags.boolean({description: 'Export recorded decisions (for the behavioural diff) instead of audit events.', default: false}),
    since: Flags.string({description: 'Only entries since this ISO date/time, or this long ago (7d, 12h).'}),
    session: Flags.string({description: 'Only this session (--calls).', dependsOn: ['calls']}),
    tool: Flags.string({description: 'Only this tool (--calls).', dependsOn: ['calls']}),
  }

  async run(): Promise<undefined> {
    const {flags} = await this.parse(AuditExport)
    const since = flags.since === undefined ? undefined : parseSince(flags.since)
    const home = rampartHome()
    if (flags.calls) {
      const entries = readRecorded(home, {...(since === undefined ? {} : {since}), ...(flags.session ? {session: flags.session} : {}), ...(flags.tool ? {tool: flags.tool} : {})})
      for (const e of entries) out(JSON.stringify(e) + '\n')
      return undefined
    }
    for (const e of readAuditEvents(home)) {
      if (since === undefined || Date.parse(e.timestamp) >= since) out(JSON.stringify(e) + '\n')
    }
    return undefined
  }
}

function parseSince(text: string): number {
  const ago = /^\d/.test(text) && !/^\d{4}-/.test(text) ? parseDuration(text) : undefined
  if (ago !== undefined) return Date.now() - ago
  const at = Date.parse(text)
  if (Number.isNaN(at)) throw new UsageError(`--since ${text}: not a date or a duration — use 2026-11-01, 2026-11-01T12:00:00Z, 7d or 12h`)
  return at
}
