import * as core from '@actions/core'

import {runApprove} from './approve.js'
import {runCheck} from './check.js'
import {runSetup} from './setup.js'

/** The Action's entry (action.yml `runs.main`, bundled to dist/action/index.cjs): one input picks the mode. */
async function main(): Promise<void> {
  const mode = core.getInput('mode', {required: true}).trim().toLowerCase()
  const io = {env: process.env, getInput: core.getInput, info: core.info, warning: core.warning, setFailed: core.setFailed, summary: core.summary}
  switch (mode) {
    case 'check':
      return runCheck(io)
    case 'setup':
      return runSetup(io)
    case 'approve':
      return runApprove(io)
    default:
      core.setFailed(`mode: ${mode} is not a mode of the Rampart action — use check, setup or approve`)
  }
}

main().catch((error: unknown) => core.setFailed(`Rampart: ${(error as Error).message}`))
