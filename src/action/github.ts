import {Octokit} from '@octokit/rest'

import {positive, type Env} from './io.js'

export type GitHub = Octokit

export interface GitHubOptions {
  token: string
  /** The REST API root; GitHub Enterprise Server and the test stand-in set GITHUB_API_URL. */
  baseUrl?: string | undefined
  /** Retry notes and Octokit warnings; silent when absent (the hook's stdout is its answer). */
  log?: ((message: string) => void) | undefined
  /** Where RAMPART_GITHUB_BACKOFF_MS / RAMPART_GITHUB_TIMEOUT_MS are read (tests scale the waits down). */
  env?: Env | undefined
  /** First retry delay; doubles on each try. */
  backoffMs?: number | undefined
  /** Per-attempt time limit. */
  timeoutMs?: number | undefined
  /** Attempts in all, the first included. */
  maxTries?: number | undefined
  /** The longest wait for a rate-limit reset; a later reset fails the request instead of retrying into the limit. */
  maxRateLimitWaitMs?: number | undefined
}

export const DEFAULT_TIMEOUT_MS = 10_000
export const DEFAULT_BACKOFF_MS = 1000
export const DEFAULT_MAX_TRIES = 4
export const DEFAULT_MAX_RATE_LIMIT_WAIT_MS = 60_000

/**
 * An Octokit for the action and the approval channel. Retries are done here rather than with the retry and
 * throttling plugins so that exactly one policy applies: 408/409/429/5xx, network errors and timeouts are retried
 * with exponential backoff; a rate limit (403/429 with `x-ratelimit-remaining: 0`, or any `retry-after`) waits for
 * the reset. Everything else — 401, a plain 403, 404, 422 — fails at once, because trying again cannot change it.
 */
export function createGitHub(options: GitHubOptions): GitHub {
  const env = options.env ?? process.env
  const log = options.log ?? (() => undefined)
  const backoffMs = options.backoffMs ?? positive(env.RAMPART_GITHUB_BACKOFF_MS) ?? DEFAULT_BACKOFF_MS
  const timeoutMs = options.timeoutMs ?? positive(env.RAMPART_GITHUB_TIMEOUT_MS) ?? DEFAULT_TIMEOUT_MS
  const maxTries = options.maxTries ?? DEFAULT_MAX_TRIES
  const maxRateLimitWaitMs = options.maxRateLimitWaitMs ?? DEFAULT_MAX_RATE_LIMIT_WAIT_MS
  const octokit = new Octokit({
    auth: options.token,
    baseUrl: (options.baseUrl ?? env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''),
    userAgent: 'rampart-action',
    // request-log reports every failed attempt as an error; the retry loop below says more about each one
    log: {debug: () => undefined, info: () => undefined, warn: (m: string) => log(m), error: () => undefined},
  })
  octokit.hook.wrap('request', async (request, endpoint) => {
    const callerSignal = endpoint.request?.signal
    for (let attempt = 1; ; attempt++) {
      const signal = callerSignal ? AbortSignal.any([callerSignal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs)
      // the options object is shared by every wrap layer (request-log and auth call on with their own bound copy,
      // not with what is passed to them), so the signal goes in by replacing the per-call `request` property
      endpoint.request = {...endpoint.request, signal}
      try {
        return await request(endpoint)
      } catch (error) {
        // the caller gave up (a deadline): its abort is not a fault to retry
        if (callerSignal?.aborted) throw error
        const wait = retryDelay(error, attempt, backoffMs)
        if (wait === undefined || attempt >= maxTries) throw error
        if (wait > maxRateLimitWaitMs) {
          log(`GitHub rate limit: ${endpoint.method} ${endpoint.url} cannot be retried before ${Math.ceil(wait / 1000)} s; giving up`)
          throw error
        }
        log(`GitHub ${endpoint.method} ${endpoint.url} failed (${describe(error)}); try ${attempt + 1} of ${maxTries} in ${wait} ms`)
        await sleep(wait, callerSignal)
        if (callerSignal?.aborted) throw error
      }
    }
  })
  return octokit
}

interface ErrorLike {
  status?: unknown
  name?: unknown
  message?: unknown
  response?: {headers?: Record<string, string | number | undefined>}
}

/** Status and message of an Octokit error, for logs and replies. */
export function describe(error: unknown): string {
  const e = (error ?? {}) as ErrorLike
  const status = typeof e.status === 'number' ? `${e.status} ` : ''
  return `${status}${typeof e.message === 'string' ? e.message : String(error)}`.trim()
}

export function statusOf(error: unknown): number | undefined {
  const s = ((error ?? {}) as ErrorLike).status
  return typeof s === 'number' ? s : undefined
}

/** Response headers of an Octokit error or response, lower-cased as Octokit gives them. */
export function headersOf(from: unknown): Record<string, string | number | undefined> {
  const f = (from ?? {}) as ErrorLike & {headers?: Record<string, string | number | undefined>}
  return f.headers ?? f.response?.headers ?? {}
}

/**
 * How long a rate limit asks us to wait, from `retry-after` (seconds) or, when the quota is spent,
 * `x-ratelimit-reset` (epoch seconds). Undefined when the headers do not describe a limit.
 */
export function rateLimitWait(headers: Record<string, string | number | undefined>, now = Date.now()): number | undefined {
  const retryAfter = positive(String(headers['retry-after'] ?? ''))
  if (retryAfter !== undefined) return Math.ceil(retryAfter * 1000)
  if (String(headers['x-ratelimit-remaining'] ?? '') !== '0') return undefined
  const reset = Number(headers['x-ratelimit-reset'])
  if (!Number.isFinite(reset)) return undefined
  // the reset has second granularity: a little past it, or the first try after it may still be counted before it
  return Math.max(0, reset * 1000 - now) + 250
}

/** The pause before try `attempt + 1`, or undefined when the error is not worth another try. */
export function retryDelay(error: unknown, attempt: number, backoffMs: number, now = Date.now()): number | undefined {
  const status = statusOf(error)
  const headers = headersOf(error)
  const backoff = Math.round(backoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5))
  if (status === 403 || status === 429) {
    const limited = rateLimitWait(headers, now)
    if (limited !== undefined) return limited
    return status === 429 ? backoff : undefined
  }
  if (status === 408 || status === 409 || (status !== undefined && status >= 500 && status <= 599)) return rateLimitWait(headers, now) ?? backoff
  // Octokit reports network failures and aborted fetches as 500; anything else without a status is a timeout
  // or a socket error surfacing some other way
  const name = ((error ?? {}) as ErrorLike).name
  if (status === undefined && (name === 'TimeoutError' || name === 'AbortError' || name === 'FetchError')) return backoff
  return undefined
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, Math.max(0, ms))
    signal?.addEventListener('abort', done, {once: true})
  })
}
