import {homedir} from 'node:os'

import {Flags} from '@oclif/core'

import {BaseCommand, policyFlags} from '../cli/base.js'
import {serverUrl} from '../cli/server-client.js'
import {clientToken} from '../core/approvals/secrets.js'
import {ExitCode} from '../core/errors.js'
import {findProjectRoot, loadPolicy, rampartHome} from '../core/policy/load.js'
import {headlessReason, detectSession} from '../core/session/detect.js'
import {installedHook, settingsFile} from '../core/setup/claude-code.js'

interface Status {
  policy: {files: string[]; policies: number; rules: number; default_action: string; error: string | null}
  session: string
  headless: string | null
  hooks: Array<{settings: string; command: boolean; http: string | null}>
  server: {url: string; up: boolean; pending: number | null}
  warnings: string[]
}

export default class StatusCommand extends BaseCommand {
  static override summary = 'Show what protects this folder: the policy, the Claude Code hook, the approval server — and warn about gaps.'
  static override description = 'Warns (exit 1) when Claude Code is wired to the HTTP hook but no rampart serve answers (Claude Code then lets every call through), when no hook is installed, or when the policy does not load.'
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json']
  static override flags = {
    ...policyFlags,
    api: Flags.string({description: 'Address of rampart serve (default: where the server of this RAMPART_HOME listens).'}),
  }

  async run(): Promise<Status> {
    const {flags} = await this.parse(StatusCommand)
    const cwd = process.cwd()
    const warnings: string[] = []
    const status: Status = {
      policy: {files: [], policies: 0, rules: 0, default_action: 'deny', error: null},
      session: detectSession(cwd).id, headless: headlessReason() ?? null, hooks: [], server: {url: serverUrl(flags.api), up: false, pending: null}, warnings,
    }
    try {
      const set = loadPolicy({cwd, ...(flags.config ? {config: flags.config} : {}), ...(flags.profile ? {profile: flags.profile} : {}), noProject: flags['no-project']})
      const enabled = set.policies.filter((p) => p.enabled)
      status.policy = {files: set.files.map((f) => f.file), policies: enabled.length, rules: enabled.reduce((n, p) => n + p.rules.length, 0), default_action: set.defaultAction, error: null}
    } catch (error) {
      status.policy.error = (error as Error).message
      warnings.push(`the policy does not load, so every hook call is denied: ${(error as Error).message}`)
    }
    const home = process.env.HOME || homedir()
    const root = findProjectRoot(cwd)
    for (const file of [settingsFile(false, cwd, home), ...(root ? [settingsFile(true, root, home)] : [])]) {
      const hook = installedHook(file)
      if (hook) status.hooks.push({settings: file, command: hook.command, http: hook.http ?? null})
    }
    status.server.up = await answers(status.server.url)
    if (status.server.up) status.server.pending = await pendingCount(status.server.url)
    for (const h of status.hooks) {
      if (h.http && !(await answers(new URL(h.http).origin))) {
        warnings.push(`${h.settings} uses the HTTP hook at ${h.http}, but no rampart serve answers there: Claude Code lets every call through while the hook fails — start rampart serve, or switch to the command hook (rampart setup claude-code)`)
      }
    }
    if (status.hooks.length === 0) warnings.push('no Rampart hook in Claude Code\'s settings: calls are not checked — run rampart setup claude-code')
    if (!this.jsonEnabled()) {
      this.log(`Policy    ${status.policy.error ? `INVALID: ${status.policy.error}` : `${status.policy.policies} policies, ${status.policy.rules} rules (default ${status.policy.default_action}) from ${status.policy.files.length} file(s)`}`)
      this.log(`Session   ${status.session || '(none: not a git repository)'}${status.headless ? `   headless (${status.headless})` : ''}`)
      for (const h of status.hooks) this.log(`Hook      ${h.http ? `HTTP ${h.http}` : 'command'} in ${h.settings}`)
      if (status.hooks.length === 0) this.log('Hook      not installed')
      this.log(`Server    ${status.server.up ? `up at ${status.server.url}${status.server.pending === null ? '' : `, ${status.server.pending} pending`}` : `not running (${status.server.url})`}`)
      for (const w of warnings) this.log(`warning: ${w}`)
    }
    if (warnings.length > 0) this.exitCode = ExitCode.checkFailed
    return status
  }
}

async function answers(base: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('/healthz', base), {signal: AbortSignal.timeout(1000)})
    return res.ok
  } catch {
    return false
  }
}

async function pendingCount(base: string): Promise<number | null> {
  const token = clientToken(rampartHome())
  if (!token) return null
  try {
    const res = await fetch(new URL('/v1/status', base), {headers: {authorization: `Bearer ${token}`}, signal: AbortSignal.timeout(1000)})
    return res.ok ? ((await res.json()) as {pending: number}).pending : null
  } catch {
    return null
  }
}
