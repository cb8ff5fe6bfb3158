import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {ensureToken, rotateToken, tokenFile} from '../core/approvals/secrets.js'
import {rampartHome} from '../core/policy/load.js'

export default class Token extends BaseCommand {
  static override summary = 'Print the API token of rampart serve (created on first use), or replace it.'
  static override description = 'The token lives in $RAMPART_HOME/token (64 hex characters, mode 0600). Clients send it as Authorization: Bearer <token>. After --rotate, a running rampart serve picks up the new token within a second; clients with the old one are refused.'
  static override examples = ['<%= config.bin %> token', '<%= config.bin %> token --rotate', 'curl -H "Authorization: Bearer $(<%= config.bin %> token)" http://127.0.0.1:9090/v1/status']
  static override flags = {rotate: Flags.boolean({description: 'Replace the token with a new random one.', default: false})}

  async run(): Promise<{token: string; file: string; rotated: boolean}> {
    const {flags} = await this.parse(Token)
    const home = rampartHome()
    const token = flags.rotate ? rotateToken(home) : ensureToken(home)
    if (!this.jsonEnabled()) this.log(token)
    return {token, file: tokenFile(home), rotated: flags.rotate}
  }
}
