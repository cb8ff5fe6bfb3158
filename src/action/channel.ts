import type {Decision, ToolCall} from '../core/engine/evaluate.js'
import type {ApprovalChannel, ChannelOutcome} from '../core/hook/claude-code.js'
import {hasWriteAccess, LOGIN, positive, readEvent, type Env} from './io.js'
import type {ApprovalMarker} from './protocol.js'

// Imported on the hook's start-up path: node builtins and types only. Octokit and the protocol load inside
// request(), i.e. only for a headless ask in a PR run.


export const DEFAULT_APPROVAL_TIMEOUT_MINUTES = 30
export const DEFAULT_POLL_MS = 2000
/** The slowest poll, as a multiple of the first (2 s → 15 s). */
const POLL_GROWTH_LIMIT = 7.5
/** How long the last look and the expiry edit may take once the deadline has passed. */
const CLOSING_MS = 5000

export interface GitHubChannelConfig {
  token: string
  apiUrl: string
  serverUrl: string
  owner: string
  repo: string
  pr: number
  /** The head the run works on; when absent, the PR's current head is read at request time. */
  sha?: string | undefined
  runId: string
  /** Who started the run: they cannot approve its requests. */
  requesters: string[]
  timeoutMs: number
  pollMs: number
  maxPollMs: number
  /** Passed on to the API client (RAMPART_GITHUB_BACKOFF_MS, RAMPART_GITHUB_TIMEOUT_MS). */
  env: Env
  log: (message: string) => void
}

interface EventPayload {
  pull_request?: {number?: unknown; head?: {sha?: unknown}}
  issue?: {number?: unknown; pull_request?: unknown}
}

const SHA = /^[0-9a-f]{7,64}$/i

/**
 * The channel's settings when this process runs in GitHub Actions for a pull request with a token; undefined
 * otherwise (then a headless ask has no GitHub channel). The PR and its head come from RAMPART_GITHUB_PR /
 * RAMPART_GITHUB_SHA when set (workflows not triggered by the PR itself), else from the event payload.
 */
export function githubConfigFromEnv(env: Env = process.env, log?: (message: string) => void): GitHubChannelConfig | undefined {
  if (env.GITHUB_ACTIONS !== 'true') return undefined
  const token = env.RAMPART_GITHUB_TOKEN || env.GITHUB_TOKEN
  const parts = (env.GITHUB_REPOSITORY ?? '').split('/')
  const [owner, repo] = parts
  if (!token || parts.length !== 2 || !owner || !repo) return undefined
  const event = env.RAMPART_GITHUB_PR && env.RAMPART_GITHUB_SHA ? undefined : readEvent<EventPayload>(env.GITHUB_EVENT_PATH)
  const prText = env.RAMPART_GITHUB_PR || event?.pull_request?.number || (event?.issue?.pull_request ? event.issue.number : undefined)
  const pr = Number(prText)
  if (!Number.isSafeInteger(pr) || pr <= 0) return undefined
  const sha = [env.RAMPART_GITHUB_SHA, event?.pull_request?.head?.sha].find((s): s is string => typeof s === 'string' && SHA.test(s))
  const requesters: string[] = []
  for (const login of [env.GITHUB_ACTOR, env.GITHUB_TRIGGERING_ACTOR]) {
    if (login && LOGIN.test(login) && !requesters.some((r) => r.toLowerCase() === login.toLowerCase())) requesters.push(login)
  }
  const pollMs = positive(env.RAMPART_GITHUB_POLL_MS) ?? DEFAULT_POLL_MS
  return {
    token,
    apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
    serverUrl: (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, ''),
    owner, repo, pr, sha,
    runId: env.GITHUB_RUN_ID && /^\d+$/.test(env.GITHUB_RUN_ID) ? env.GITHUB_RUN_ID : '0',
    requesters,
    timeoutMs: Math.round((positive(env.RAMPART_APPROVAL_TIMEOUT_MINUTES) ?? DEFAULT_APPROVAL_TIMEOUT_MINUTES) * 60_000),
    pollMs,
    maxPollMs: pollMs * POLL_GROWTH_LIMIT,
    env,
    log: log ?? (env.RAMPART_DEBUG ? (m) => process.stderr.write(`rampart: ${m}\n`) : () => undefined),
  }
}

/** The PR-comment approval channel for this environment (github.md), or undefined when it does not apply. */
export function githubChannelFromEnv(env: Env = process.env, log?: (message: string) => void): ApprovalChannel | undefined {
  const config = githubConfigFromEnv(env, log)
  return config && githubChannel(config)
}

export function githubChannel(config: GitHubChannelConfig): ApprovalChannel {
  return {request: (call, decision) => requestApproval(config, call, decision)}
}

/**
 * Post the request comment and wait for its resolution. Fails closed throughout: a request that cannot be posted
 * is 'unavailable' (the hook denies), API faults while waiting only delay the next look, and the deadline is a
 * deny however the API behaves. An 'approved' marker is believed only when it is still for the head and run the
 * request was made for and the `/rampart` comment it points at really is an unedited approval, made after the
 * request by someone other than the requester who has write access: the marker lives in a comment that the job's
 * own token — which the agent may be able to use — can edit, and that token may also be able to edit other
 * people's comments. A 'denied' marker is believed as it is: denying is always safe.
 */
async function requestApproval(c: GitHubChannelConfig, call: ToolCall, decision: Decision): Promise<ChannelOutcome> {
  const [{createGitHub, describe, headersOf, rateLimitWait, sleep, statusOf}, protocol] = await Promise.all([import('./github.js'), import('./protocol.js')])
  const gh = createGitHub({token: c.token, baseUrl: c.apiUrl, env: c.env, log: c.log})
  const where = {owner: c.owner, repo: c.repo}
  let sha = c.sha
  if (!sha) {
    try {
      sha = (await gh.rest.pulls.get({...where, pull_number: c.pr})).data.head.sha
    } catch (error) {
      c.log(`cannot read the head of PR #${c.pr} (${describe(error)}); no approval channel`)
      return 'unavailable'
    }
  }
  const id = protocol.newApprovalId()
  const deadline = Date.now() + c.timeoutMs
  let body = protocol.renderRequest({
    id, sha, run: c.runId, requesters: c.requesters, call, decision, expiresAt: new Date(deadline),
    runUrl: c.runId !== '0' ? `${c.serverUrl}/${c.owner}/${c.repo}/actions/runs/${c.runId}` : undefined,
  })
  let commentId: number
  let requestedAt: number
  try {
    const created = await gh.rest.issues.createComment({...where, issue_number: c.pr, body})
    commentId = created.data.id
    requestedAt = Date.parse(created.data.created_at)
    c.log(`approval ${id} requested: ${created.data.html_url}`)
  } catch (error) {
    // a fork's read-only token lands here (403): there is no one to ask
    c.log(`cannot post the approval request on PR #${c.pr} (${describe(error)}); no approval channel`)
    return 'unavailable'
  }

  const verified = new Map<string, ChannelOutcome>()
  /** The outcome a body shows, undefined while pending or while an approval cannot be checked yet. */
  const settle = async (text: string, signal: AbortSignal): Promise<ChannelOutcome | undefined> => {
    const marker = protocol.parseMarker(text)
    if (!marker || !protocol.sameId(marker.id, id)) {
      c.log(`approval ${id}: the request comment no longer carries its marker; denying`)
      return 'denied'
    }
    if (marker.status === 'pending') return undefined
    if (marker.status !== 'approved') return 'denied'
    const key = `${marker.sha} ${marker.run} ${marker.resolver ?? ''} ${marker.cmd ?? ''}`
    const known = verified.get(key)
    if (known) return known
    const outcome = await checkApproval(marker, signal)
    if (outcome) verified.set(key, outcome)
    return outcome
  }

  /**
   * Whether an 'approved' marker stands up: every check the approve workflow made is made again from what the
   * agent cannot forge (the deciding comment as GitHub serves it, and the resolver's permission as GitHub reports
   * it). Undefined only when the deciding comment cannot be read yet; anything else that fails is a deny.
   */
  const checkApproval = async (marker: ApprovalMarker, signal: AbortSignal): Promise<ChannelOutcome | undefined> => {
    const {resolver, cmd} = marker
    const refuse = (why: string): ChannelOutcome => {
      c.log(`approval ${id}: marked approved, but ${why}; denying`)
      return 'denied'
    }
    // the marker's head and run are ours: a marker moved to another head (say, the PR's new one) is not our approval
    if (marker.sha.toLowerCase() !== sha.toLowerCase()) return refuse(`for another head (${marker.sha.slice(0, 12)})`)
    if (marker.run !== c.runId) return refuse(`for another run (${marker.run})`)
    if (!resolver || !cmd || !/^\d+$/.test(cmd)) return refuse('without the approving comment')
    if (resolver.endsWith('[bot]')) return refuse(`by a bot (${resolver})`)
    if (c.requesters.some((r) => protocol.sameLogin(r, resolver))) return refuse(`by the requester (${resolver})`)
    let comment
    try {
      comment = (await gh.rest.issues.getComment({...where, comment_id: Number(cmd), request: {signal}})).data
    } catch (error) {
      if (statusOf(error) === 404) return refuse('the approving comment does not exist')
      c.log(`approval ${id}: cannot read the approving comment (${describe(error)}); will look again`)
      return undefined
    }
    const command = protocol.parseCommand(comment.body)
    if (!comment.user || !protocol.sameLogin(comment.user.login, resolver) || comment.user.type === 'Bot') return refuse('the approving comment is by someone else')
    if (!comment.issue_url.endsWith(`/issues/${c.pr}`)) return refuse('the approving comment is on another issue')
    if (Date.parse(comment.created_at) < requestedAt) return refuse('the approving comment is older than the request')
    // GitHub moves updated_at on every edit of the text; the approve workflow reads only new comments, so an edited
    // one (for instance someone's "LGTM" rewritten with a token that may edit any comment) did not decide anything
    if (comment.updated_at !== comment.created_at) return refuse('the approving comment was edited')
    const approves = (command.kind === 'approve' && protocol.sameId(command.id, id)) || (command.kind === 'approve-run' && command.run === c.runId)
    if (!approves) return refuse('the approving comment does not approve it')
    // anyone can comment `/rampart approve`; the workflow refuses those without write access, but the marker
    // could be pointed at such a comment all the same
    let permission
    try {
      permission = (await gh.rest.repos.getCollaboratorPermissionLevel({...where, username: comment.user.login, request: {signal}})).data
    } catch (error) {
      return refuse(`the permission of ${resolver} cannot be read (${describe(error)})`)
    }
    if (!hasWriteAccess(permission)) return refuse(`${resolver} does not have write access (${permission.role_name || permission.permission})`)
    c.log(`approval ${id}: approved by ${resolver}`)
    return 'approved'
  }

  let etag: string | undefined
  let pause = c.pollMs
  const look = async (signal: AbortSignal, conditional: boolean): Promise<ChannelOutcome | 'gone' | undefined> => {
    let headers: Record<string, string | number | undefined> = {}
    try {
      const res = await gh.rest.issues.getComment({...where, comment_id: commentId, headers: conditional && etag ? {'if-none-match': etag} : {}, request: {signal}})
      headers = res.headers
      etag = res.headers.etag
      body = res.data.body ?? ''
    } catch (error) {
      headers = headersOf(error)
      const status = statusOf(error)
      if (status === 404 || status === 410) return 'gone'
      // 304: unchanged (and free of rate-limit cost); anything else is a fault to wait out
      if (status !== 304) {
        c.log(`approval ${id}: polling failed (${describe(error)}); still waiting`)
        pause = Math.min(pause * 2, c.maxPollMs)
      }
    }
    const limited = rateLimitWait(headers)
    if (limited !== undefined) pause = Math.max(pause, limited)
    return settle(body, signal)
  }

  while (Date.now() < deadline) {
    await sleep(Math.min(pause, deadline - Date.now()))
    if (Date.now() >= deadline) break
    pause = Math.min(pause * 1.5, c.maxPollMs)
    const outcome = await look(AbortSignal.timeout(Math.max(1, deadline - Date.now())), true)
    if (outcome === 'gone') {
      c.log(`approval ${id}: the request comment was deleted; denying`)
      return 'denied'
    }
    if (outcome) return outcome
  }

  // one last unconditional look: an answer given just before the deadline is honoured rather than overwritten
  const closing = AbortSignal.timeout(CLOSING_MS)
  const last = await look(closing, false).catch(() => undefined)
  if (last === 'approved' || last === 'denied') return last
  if (last !== 'gone') {
    try {
      await gh.rest.issues.updateComment({...where, comment_id: commentId, body: protocol.resolveBody(body, {status: 'expired', at: new Date()}), request: {signal: closing}})
    } catch (error) {
      c.log(`approval ${id}: cannot mark the request expired (${describe(error)})`)
    }
  }
  c.log(`approval ${id}: no answer in time; denying`)
  return 'denied'
}
