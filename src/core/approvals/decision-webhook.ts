import {subjectOf} from '../engine/call.js'
import type {CompiledRule} from '../policy/compile.js'
import type {Decision, ToolCall} from '../engine/evaluate.js'

/** Webhook rules one call may go through before it is denied (each answer can only clear its own rule). */
const MAX_WEBHOOKS = 4

/**
 * `action: webhook` (policy.md): rampart serve asks the rule's URL. It POSTs the call as JSON —
 * `{tool, command?, path?, url?, agent, session, policy, message}` — and expects `{"decision": "allow"|"deny",
 * "message"?}` within the rule's timeout.
 *
 * The answer decides the webhook rule only: "allow" (or a failure with `fail_open: true`) takes that rule out and
 * the rest of the policy decides — another policy's deny or ask still stands. "deny", a failure, or any other
 * answer denies. Webhook rules of a project policy are never called: a repository must not pick who clears its own
 * commands, and its policy may only tighten.
 */
export async function decideByWebhooks(call: ToolCall, first: Decision, reevaluate: (skip: ReadonlySet<CompiledRule>) => Decision, fetchImpl: typeof fetch = fetch): Promise<Decision> {
  const skip = new Set<CompiledRule>()
  let d = first
  while (d.webhook) {
    const rule = d.webhook_rule
    if (d.from_project || !rule) return {...d, action: 'deny', message: `${d.decided_by?.policy ?? 'a'} webhook rule in a project policy is not called (project policies can only tighten); denied`}
    if (skip.size >= MAX_WEBHOOKS) return {...d, action: 'deny', message: `more than ${MAX_WEBHOOKS} webhook rules for one call; denied`}
    const verdict = await ask(call, d, fetchImpl)
    if (verdict.kind === 'deny') return {...d, action: 'deny', message: verdict.message}
    skip.add(rule)
    d = reevaluate(skip)
    if (verdict.kind === 'fail-open' && d.action !== 'deny') d = {...d, notes: [...d.notes, verdict.message]}
  }
  return d
}

type Verdict = {kind: 'allow' | 'fail-open' | 'deny'; message: string}

async function ask(call: ToolCall, d: Decision, fetchImpl: typeof fetch): Promise<Verdict> {
  const hook = d.webhook as NonNullable<Decision['webhook']>
  const body = JSON.stringify({tool: call.tool, ...subjectOf(call), agent: call.agent ?? '', session: call.session ?? '', policy: d.decided_by?.policy ?? '', message: d.message})
  let problem: string
  try {
    const res = await fetchImpl(hook.url, {method: 'POST', headers: {'content-type': 'application/json', 'user-agent': 'rampart-webhook-rule'}, body, signal: AbortSignal.timeout(hook.timeoutMs)})
    const answer = (await res.json().catch(() => undefined)) as {decision?: unknown; message?: unknown} | undefined
    if (res.ok && (answer?.decision === 'allow' || answer?.decision === 'deny')) {
      const message = typeof answer.message === 'string' && answer.message ? answer.message : `${answer.decision === 'allow' ? 'cleared' : 'denied'} by the webhook ${hook.url}`
      return {kind: answer.decision, message}
    }
    problem = res.ok ? 'the answer is not {"decision": "allow"|"deny"}' : `HTTP ${res.status}`
  } catch (error) {
    problem = (error as Error).name === 'TimeoutError' ? `no answer within ${hook.timeoutMs} ms` : (error as Error).message
  }
  return hook.failOpen
    ? {kind: 'fail-open', message: `the webhook ${hook.url} failed (${problem}); its rule was passed over because it has fail_open: true`}
    : {kind: 'deny', message: `the webhook ${hook.url} failed (${problem}); failing closed`}
}
