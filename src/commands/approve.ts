import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {resolveApproval, type Resolution} from '../cli/resolve.js'
import {serverFlags} from '../cli/server-client.js'

export default class Approve extends BaseCommand {
  static override summary = 'Approve a pending call in rampart serve; the agent\'s call then runs.'
  static override examples = ['<%= config.bin %> approve 01JD3Z8Q4X2N7M5K9V6B1C0A2E', '<%= config.bin %> approve 01JD3Z8Q4X2N7M5K9V6B1C0A2E --persist']
  static override args = {id: Args.string({description: 'Approval id (rampart pending lists them).', required: true})}
  static override flags = {
    ...serverFlags,
    persist: Flags.boolean({description: 'Also allow this exact call from now on ($RAMPART_HOME/policies/auto-allowed.yaml).', default: false}),
  }

  async run(): Promise<Resolution> {
    const {args, flags} = await this.parse(Approve)
    const r = await resolveApproval(flags, args.id, true, flags.persist)
    if (!this.jsonEnabled()) this.log(`✓ Approved — command will execute${r.persisted ? ' (and is allowed from now on: auto-allowed.yaml)' : ''}`)
    return r
  }
}
