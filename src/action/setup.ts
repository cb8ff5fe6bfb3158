import {homedir} from 'node:os'
import {join} from 'node:path'

import {packageRoot} from '../core/package-root.js'
import {installHook} from '../core/setup/claude-code.js'
import {readEvent, type ActionIO} from './io.js'

/**
 * `mode: setup`: the rest of the job runs its agent under Rampart. Installs the hook into the agent's settings
 * (pointing at the Action's own self-contained hook bundle), and exports headless mode, the session and what the
 * PR-comment approval channel needs. `headless_only` asks are then denied at once; other asks become approval
 * requests on the pull request (or are denied when the run has none).
 */
export async function runSetup(io: ActionIO): Promise<void> {
  const core = await import('@actions/core')
  const exportVariable = io.exportVariable ?? core.exportVariable
  const setSecret = io.setSecret ?? core.setSecret
  const setOutput = io.setOutput ?? core.setOutput
  const env = io.env ?? process.env
  const agent = io.getInput('agent') || 'claude-code'
  if (agent !== 'claude-code') {
    io.setFailed(`agent: ${agent} is not supported by mode: setup — use claude-code`)
    return
  }
  const minutes = io.getInput('approval-timeout-minutes') || '30'
  if (!/^\d+(\.\d+)?$/.test(minutes) || Number(minutes) <= 0) {
    io.setFailed(`approval-timeout-minutes: ${minutes} is not a positive number of minutes`)
    return
  }
  const root = env.GITHUB_ACTION_PATH || packageRoot()
  const command = `node ${shellQuote(join(root, 'dist', 'action', 'hook.cjs'))}`
  const home = env.HOME || homedir()
  const file = join(home, '.claude', 'settings.json')
  // Claude Code lets a call run when its hook times out: the hook must outlive the longest approval wait
  const timeout = Math.ceil(Number(minutes) * 60) + 120
  const r = installHook({file, command, timeout})
  io.info(r.changed ? `Rampart hook installed in ${file}: ${command}` : `Rampart hook already in ${file}`)

  const event = readEvent<PullEvent>(env.GITHUB_EVENT_PATH)
  const pr = event?.pull_request
  const repo = (env.GITHUB_REPOSITORY ?? '').split('/').pop() ?? ''
  const branch = env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME || 'detached'
  exportVariable('RAMPART_HEADLESS', '1')
  // the hook answers before Claude Code gives up on it (it would run the call): it needs the timeout written above
  exportVariable('RAMPART_HOOK_TIMEOUT', String(timeout))
  if (repo) exportVariable('RAMPART_SESSION', `${repo}/${branch}`)
  if (env.GITHUB_RUN_ID) exportVariable('RAMPART_RUN_ID', env.GITHUB_RUN_ID)
  exportVariable('RAMPART_APPROVAL_TIMEOUT_MINUTES', minutes)
  const token = io.getInput('token')
  if (pr?.number !== undefined && token) {
    setSecret(token)
    exportVariable('RAMPART_GITHUB_TOKEN', token)
    exportVariable('RAMPART_GITHUB_PR', String(pr.number))
    if (pr.head?.sha) exportVariable('RAMPART_GITHUB_SHA', pr.head.sha)
    io.info(`Approvals: asks become request comments on pull request #${pr.number}; maintainers reply /rampart approve <id>`)
  } else {
    io.info('Approvals: this run is not attached to a pull request — asks that are not headless_only are denied')
  }
  setOutput('hook-command', command)
}

interface PullEvent {
  pull_request?: {number?: number; head?: {sha?: string}}
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}
