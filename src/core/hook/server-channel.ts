import {clientToken} from '../approvals/secrets.js'
import {readServerInfo} from '../approvals/server-info.js'
import {parseDuration} from '../duration.js'
import type {Decision, ToolCall} from '../engine/evaluate.js'
import type {ApprovalChannel, ChannelOutcome} from './claude-code.js'

/**
 * How long a hook waits for a human before denying. Claude Code lets a call through when a hook times out, so the
 * wait must end well before the hook's own timeout (60 s unless the settings say otherwise).
 */
export const DEFAULT_APPROVAL_WAIT_MS = 50_000

/**
 * The local approval channel: a `rampart serve` of this RAMPART_HOME (it writes serve.json when it starts). The
 * ask becomes a pending approval; the hook polls it (backing off to 2 s) until it is resolved or the wait ends.
 * Undefined when no server has ever run here — then headless asks are denied.
 */
export function serverChannel(rampartHome: string, env: Record<string, string | undefined>): ApprovalChannel | undefined {
  const url = env.RAMPART_API || readServerInfo(rampartHome).url
  const token = clientToken(rampartHome, env)
  if (!url || !token) return undefined
  const base = url
  const waitMs = (env.RAMPART_APPROVAL_WAIT && parseDuration(env.RAMPART_APPROVAL_WAIT)) || DEFAULT_APPROVAL_WAIT_MS
  const headers = {authorization: `Bearer ${token}`, 'content-type': 'application/json'}
  return {
    async request(call: ToolCall, d: Decision): Promise<ChannelOutcome> {
      const deadline = Date.now() + waitMs
      let created: Response
      try {
        created = await fetch(new URL('/v1/approvals', base), {
          method: 'POST', headers, signal: AbortSignal.timeout(3000),
          body: JSON.stringify({
            tool: call.tool, agent: call.agent ?? 'claude-code', session: call.session ?? '', message: d.message,
            ...(call.command !== undefined ? {command: call.command} : call.path !== undefined ? {path: call.path} : call.url !== undefined ? {url: call.url} : {}),
            ...(env.RAMPART_RUN_ID ? {run_id: env.RAMPART_RUN_ID} : {}),
          }),
        })
      } catch {
        return 'unavailable' // no server listening: as if there were no channel
      }
      const body = (await created.json().catch(() => ({}))) as {id?: string; status?: string}
      if (created.status === 200 && body.status === 'approved') return 'approved'
      if (created.status !== 201 || !body.id) return 'unavailable'
      let pause = 250
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, Math.min(pause, Math.max(0, deadline - Date.now()))))
        pause = Math.min(pause * 2, 2000)
        try {
          const res = await fetch(new URL(`/v1/approvals/${encodeURIComponent(body.id)}`, base), {headers, signal: AbortSignal.timeout(3000)})
          if (!res.ok) continue // a restart or a hiccup: keep waiting until the deadline
          const a = (await res.json()) as {status?: string}
          if (a.status === 'approved') return 'approved'
          if (a.status === 'denied' || a.status === 'expired') return 'denied'
        } catch {
          // the server is restarting: keep polling until the deadline
        }
      }
      return 'denied'
    },
  }
}
