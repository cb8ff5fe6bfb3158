import {Flags} from '@oclif/core'

import {BaseCommand, policyFlags} from '../cli/base.js'
import {parseDuration} from '../core/duration.js'
import {UsageError} from '../core/errors.js'
import {rampartHome} from '../core/policy/load.js'
import {detectHeadless} from '../core/session/detect.js'

export default class Serve extends BaseCommand {
  static override summary = 'Run the approval server: evaluate calls over HTTP, queue asks, resolve them from the CLI, the dashboard or signed links.'
  static override description = `Listens on 127.0.0.1:9090 by default. Every route but /healthz and /dashboard/ needs Authorization: Bearer <token> (rampart token). Pending approvals, their deadlines and every resolution are written to $RAMPART_HOME/approvals.jsonl before they are acknowledged, so a restart loses nothing. Policy files are watched: a valid edit takes effect at once, an invalid one keeps the last good policy and is reported here and in GET /v1/status. One server per RAMPART_HOME.`
  static override examples = ['<%= config.bin %> serve', '<%= config.bin %> serve --approval-timeout 2h --sign --webhook https://hooks.example.com/rampart', '<%= config.bin %> serve --port 0   # any free port; the address is printed and written to $RAMPART_HOME/serve.json']
  static override flags = {
    ...policyFlags,
    host: Flags.string({description: 'Address to bind (a non-loopback address without TLS prints a warning).', default: '127.0.0.1'}),
    port: Flags.integer({description: 'Port to listen on (0 = any free port).', default: 9090, min: 0, max: 65535}),
    'approval-timeout': Flags.string({description: 'How long an approval waits before it expires as denied (30s, 5m, 2h).', default: '1h'}),
    sign: Flags.boolean({description: 'Put HMAC-signed approve/deny links in notifications (single use, expire with the approval).', default: false}),
    webhook: Flags.string({description: 'POST each new approval to this URL (signed with X-Rampart-Signature).'}),
    'public-url': Flags.string({description: 'Base URL for links in notifications (default: the listening address).'}),
    headless: Flags.boolean({description: 'Hook asks wait in the approval queue instead of prompting in the agent (default: detected, as in CI).', allowNo: true}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Serve)
    const timeout = parseDuration(flags['approval-timeout'])
    if (timeout === undefined) throw new UsageError(`--approval-timeout ${flags['approval-timeout']}: not a duration — use forms like 30s, 5m or 2h`)
    const {startServer} = await import('../server/serve.js')
    const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`)
    const server = await startServer({
      rampartHome: rampartHome(), env: process.env, cwd: process.cwd(), host: flags.host, port: flags.port,
      load: {...(flags.config ? {config: flags.config} : {}), ...(flags.profile ? {profile: flags.profile} : {}), noProject: flags['no-project']},
      approvalTimeoutMs: timeout, sign: flags.sign, ...(flags.webhook ? {webhook: flags.webhook} : {}), ...(flags['public-url'] ? {publicUrl: flags['public-url']} : {}),
      headless: flags.headless ?? detectHeadless(), log,
    })
    const {policies, rules} = server.host.counts()
    this.log(`rampart serve listening on ${server.url} — ${policies} policies, ${rules} rules; dashboard ${server.url}/dashboard/`)
    await new Promise<void>((resolve) => {
      const stop = () => {
        log('shutting down')
        server.close().then(resolve, resolve)
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
  }
}
