import {webhookSignature} from './secrets.js'

/** The seed's notification payload for a new approval. */
export interface ApprovalNotice {
  timestamp: string
  decision: 'ask'
  tool: string
  command?: string
  path?: string
  url?: string
  policy: string
  message: string
  agent: string
  session: string
  approval_id: string
  approve_url: string
  deny_url: string
}

export interface WebhookOptions {
  timeoutMs?: number
  retries?: number
  /** First retry delay; doubles each time. */
  backoffMs?: number
  log?: (line: string) => void
}

/**
 * Posts approval notices to one URL. Delivery never blocks evaluation: `notify` returns at once and the returned
 * promise (for tests) settles after the last attempt. Network errors and 5xx are retried with backoff; a 4xx is the
 * receiver saying no, so it is not.
 */
export class WebhookNotifier {
  private readonly inFlight = new Set<Promise<boolean>>()

  constructor(readonly url: string, private readonly key: Buffer, private readonly options: WebhookOptions = {}) {}

  notify(notice: ApprovalNotice): Promise<boolean> {
    const body = JSON.stringify(notice)
    const p = this.deliver(body).finally(() => this.inFlight.delete(p))
    this.inFlight.add(p)
    return p
  }

  /** Wait for deliveries under way (server shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight])
  }

  private async deliver(body: string): Promise<boolean> {
    const {timeoutMs = 5000, retries = 3, backoffMs = 500, log} = this.options
    const headers = {'content-type': 'application/json', 'x-rampart-signature': webhookSignature(this.key, body), 'user-agent': 'rampart-webhook'}
    for (let attempt = 0; ; attempt++) {
      let problem: string
      try {
        const res = await fetch(this.url, {method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs)})
        await res.body?.cancel().catch(() => undefined)
        if (res.ok) return true
        problem = `HTTP ${res.status}`
        if (res.status < 500) {
          log?.(`webhook ${this.url} refused the notice (${problem}); not retried — check the receiver`)
          return false
        }
      } catch (error) {
        problem = (error as Error).name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : (error as Error).message
      }
      if (attempt >= retries) {
        log?.(`webhook ${this.url} failed after ${retries + 1} attempts (${problem}) — check that the receiver is up`)
        return false
      }
      await new Promise((r) => setTimeout(r, backoffMs * 2 ** attempt))
    }
  }
}
