import {BaseCommand, EXIT_CODES_HELP} from '../../cli/base.js'
import {verifyAudit, type VerifyResult} from '../../core/audit/verify.js'
import {ExitCode} from '../../core/errors.js'
import {rampartHome} from '../../core/policy/load.js'

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

export default class AuditVerify extends BaseCommand {
  static override summary = 'Check that the audit trail is intact: no event changed, removed or added after it was written.'
  static override description = `Walks $RAMPART_HOME/audit/*.jsonl oldest first: every line must be an event whose prev_hash is the previous event's hash (across day files) and whose hash matches its content. Exit 0 when intact (also when there is no audit trail yet), 1 naming the first broken file:line.
${EXIT_CODES_HELP}`

  static override examples = ['<%= config.bin %> audit verify', '<%= config.bin %> audit verify --json']

  async run(): Promise<VerifyResult> {
    await this.parse(AuditVerify)
    const result = verifyAudit(rampartHome())
    if (!result.ok) this.exitCode = ExitCode.checkFailed
    if (!this.jsonEnabled()) {
      this.log(result.ok
        ? `audit trail intact: ${plural(result.events, 'event')} in ${plural(result.files, 'file')}`
        : `${result.file}:${result.line}: ${result.problem} — the audit trail was changed after it was written`)
    }
    return result
  }
}
