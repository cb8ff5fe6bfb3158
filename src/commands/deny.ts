import {Args} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {resolveApproval, type Resolution} from '../cli/resolve.js'
import {serverFlags} from '../cli/server-client.js'

export default class Deny extends BaseCommand {
  static override summary = 'Deny a pending call in rampart serve; the agent gets an error instead.'
  static override examples = ['<%= config.bin %> deny 01JD3Z8Q4X2N7M5K9V6B1C0A2E']
  static override args = {id: Args.string({description: 'Approval id (rampart pending lists them).', required: true})}
  static override flags = {...serverFlags}

  async run(): Promise<Resolution> {
    const {args, flags} = await this.parse(Deny)
    const r = await resolveApproval(flags, args.id, false, false)
    if (!this.jsonEnabled()) this.log('✗ Denied — the command is blocked')
    return r
  }
}
