import {BaseCommand} from '../cli/base.js'
import {ago} from '../cli/overrides.js'
import {callServer, serverFlags} from '../cli/server-client.js'
import type {Approval} from '../core/approvals/store.js'

export default class Pending extends BaseCommand {
  static override summary = 'List the approvals waiting in rampart serve.'
  static override examples = ['<%= config.bin %> pending', '<%= config.bin %> pending --json']
  static override flags = {...serverFlags}

  async run(): Promise<{approvals: Approval[]; runs: Array<{run_id: string; count: number; ids: string[]}>}> {
    const {flags} = await this.parse(Pending)
    const {data} = await callServer<{approvals: Approval[]; runs: Array<{run_id: string; count: number; ids: string[]}>}>(flags, 'GET', '/v1/approvals')
    if (!this.jsonEnabled()) {
      if (data.approvals.length === 0) this.log('No pending approvals.')
      else {
        const rows = data.approvals.map((a) => [a.id, a.tool, a.command ?? a.path ?? a.url ?? '', a.agent, ago(a.created_at).replace('just now', '0m ago')])
        const head = ['ID', 'Tool', 'Command', 'Agent', 'Age']
        const width = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))))
        const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : clip(c, width[i] ?? 10).padEnd(width[i] ?? 10))).join('  ')
        this.log(fmt(head))
        for (const r of rows) this.log(fmt(r))
        for (const run of data.runs) this.log(`\nrun ${run.run_id}: ${run.count} pending — approve them all with: curl -X POST …/v1/approvals/bulk-resolve -d '{"run_id":"${run.run_id}","action":"approve"}'`)
      }
    }
    return data
  }
}

function clip(text: string, width: number): string {
  return text.length > width ? text.slice(0, width - 1) + '…' : text
}
