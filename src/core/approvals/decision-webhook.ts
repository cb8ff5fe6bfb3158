import type {Decision, ToolCall} from '../engine/evaluate.js'

/**
 * `action: webhook` (policy.md): rampart serve asks the rule's URL. It POSTs the call as JSON —
 * `{tool, command?, path?, url?, agent, session, policy, message}` — and expects `{"decision": "allow"|"deny",
 * "message"?}` back within the rule's timeout. Anything else (an error status, a timeout, another body) is a failure:
 * deny, unless the rule says `fail_open: true`. Returns the decision to use in place of the webhook rule's.
 */
export async function decideByWebhook(call: ToolCall, d: Decision, fetchImpl: typeof fetch = fetch): Promise<Decision> {
  const hook = d.webhook
  if (!hook) return d
  const subject = {...(call.command !== undefined ? {command: call.command} : {}), ...(call.path !== undefined ? {path: call.path} : {}), ...(call.url !== undefined ? {url: call.url} : {})}
  const body = JSON.stringify({tool: call.tool, ...subject, agent: call.agent ?? '', session: call.session ?? '', policy: d.decided_by?.policy ?? '', message: d.message})
  let problem: string
  try {
    const res = await fetchImpl(hook.url, {method: 'POST', headers: {'content-type': 'application/json', 'user-agent': 'rampart-webhook-rule'}, body, signal: AbortSignal.timeout(hook.timeoutMs)})
    const answer = (await res.json().catch(() => undefined)) as {decision?: unknown; message?: unknown} | undefined
    if (res.ok && (answer?.decision === 'allow' || answer?.decision === 'deny')) {
      const message = typeof answer.message === 'string' && answer.message ? answer.message : `${answer.decision === 'allow' ? 'allowed' : 'denied'} by the webhook ${hook.url}`
      return {...d, action: answer.decision, message, suggestions: answer.decision === 'allow' ? [] : d.suggestions}
    }
    problem = res.ok ? 'the answer is not {"decision": "allow"|"deny"}' : `HTTP ${res.status}`
  } catch (error) {
    problem = (error as Error).name === 'TimeoutError' ? `no answer within ${hook.timeoutMs} ms` : (error as Error).message
  }
  return hook.failOpen
    ? {...d, action: 'allow', message: `the webhook ${hook.url} failed (${problem}); allowed because the rule has fail_open: true`, suggestions: []}
    : {...d, action: 'deny', message: `the webhook ${hook.url} failed (${problem}); failing closed`}
}
