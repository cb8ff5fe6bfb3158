import {readFileSync} from 'node:fs'

import {AuditLog, type AuditRequest} from '../core/audit/log.js'
import {rampartHome} from '../core/policy/load.js'
import {createGitHub, describe, statusOf, type GitHub} from './github.js'
import {hasWriteAccess, type ActionIO, type Env} from './io.js'
import {
  cleanLogin, inline, parseCommand, parseMarker, parseRequestedCall, REASON_MAX, resolveBody, sameId, sameLogin, USAGE,
  type ApprovalMarker, type Command, type Resolution,
} from './protocol.js'


/** The `result` output: what became of the comment. */
export type ApproveResult = 'approved' | 'denied' | 'refused' | 'ignored'

interface EventUser {
  login?: string
  type?: string
}

interface CommentEvent {
  action?: string
  issue?: {number?: number; pull_request?: unknown}
  comment?: {id?: number; body?: string | null; user?: EventUser | null; author_association?: string}
  repository?: {full_name?: string}
}

interface RequestComment {
  id: number
  body: string
  marker: ApprovalMarker
}

type Reaction = 'eyes' | '+1' | '-1'

/** author_association values that can belong to someone with write access; any other is refused without asking. */
const MAY_WRITE = ['OWNER', 'MEMBER', 'COLLABORATOR']

export const isBot = (user: EventUser | null | undefined): boolean => !user?.login || user.type === 'Bot' || user.login.toLowerCase().endsWith('[bot]')

/**
 * `mode: approve` on `issue_comment`: validate one `/rampart` reply and resolve the request it names
 * (github.md "Approvals through PR comments"). Comment text is only ever parsed and compared, never run, and no PR
 * code is read. A refusal is a reply on the PR and a successful job; only faults (no event, no token, the API or
 * the audit trail failing while resolving) fail the job.
 */
export async function runApprove(io: ActionIO): Promise<void> {
  let result: ApproveResult
  try {
    result = await approve(io)
  } catch (error) {
    io.setFailed(`rampart approve: ${describe(error)}`)
    return
  }
  try {
    const setOutput = io.setOutput ?? (await import('@actions/core')).setOutput
    setOutput('result', result)
  } catch (error) {
    io.warning(`cannot set the result output (${describe(error)})`)
  }
}

async function approve(io: ActionIO): Promise<ApproveResult> {
  const env = io.env ?? process.env
  if (env.GITHUB_EVENT_NAME && env.GITHUB_EVENT_NAME !== 'issue_comment') {
    io.info(`mode: approve answers issue_comment events; this is ${env.GITHUB_EVENT_NAME}, nothing to do`)
    return 'ignored'
  }
  if (!env.GITHUB_EVENT_PATH) throw new Error('GITHUB_EVENT_PATH is not set: mode: approve runs in a workflow triggered by issue_comment')
  let event: CommentEvent
  try {
    event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as CommentEvent
  } catch (error) {
    throw new Error(`cannot read the event payload ${env.GITHUB_EVENT_PATH} (${(error as Error).message})`)
  }
  // an edit could turn an old comment into an approval after the fact: only new comments count
  if (event.action !== 'created') {
    io.info(`ignored: the comment was ${event.action ?? 'changed'}; only new comments are read`)
    return 'ignored'
  }
  const {issue, comment} = event
  if (!issue || typeof issue.number !== 'number' || !comment || typeof comment.id !== 'number') {
    io.info('ignored: not an issue_comment payload')
    return 'ignored'
  }
  if (!issue.pull_request) {
    io.info(`ignored: #${issue.number} is an issue, not a pull request`)
    return 'ignored'
  }
  const command = parseCommand(comment.body)
  if (command.kind === 'none') {
    io.info('ignored: not a /rampart command')
    return 'ignored'
  }
  // no reply to bots: two bots answering each other would never stop
  if (isBot(comment.user)) {
    io.info(`ignored: ${comment.user?.login ?? 'an unknown account'} is a bot, and bots cannot answer approvals`)
    return 'ignored'
  }
  const login = comment.user?.login as string
  const token = io.getInput('token') || env.GITHUB_TOKEN
  if (!token) throw new Error('no token: set the token input (or GITHUB_TOKEN)')
  const [owner, repo, extra] = (env.GITHUB_REPOSITORY || event.repository?.full_name || '').split('/')
  if (!owner || !repo || extra !== undefined) throw new Error('GITHUB_REPOSITORY is not owner/name')
  const ctx: Context = {
    io, gh: createGitHub({token, env, log: (m) => io.info(m)}), owner, repo, pr: issue.number, login, commentId: comment.id, env,
    authors: io.getInput('request-author').split(/[\s,]+/).filter((a) => a !== ''),
  }
  await react(ctx, 'eyes')
  if (command.kind === 'malformed') {
    await reply(ctx, `@${login} ${command.problem}.\n\n${USAGE}`)
    return 'refused'
  }
  if (!(await mayWrite(ctx, comment.author_association))) {
    await reply(ctx, `@${login} only people with write access to this repository can answer Rampart approvals; nothing changed.`)
    io.info(`refused: ${login} does not have write access`)
    return 'refused'
  }
  const head = (await ctx.gh.rest.pulls.get({owner, repo, pull_number: ctx.pr})).data.head.sha
  const requests = await listRequests(ctx)
  return command.kind === 'approve-run' ? resolveRun(ctx, command.run, head, requests) : resolveOne(ctx, command, head, requests)
}

interface Context {
  io: ActionIO
  gh: GitHub
  owner: string
  repo: string
  pr: number
  login: string
  commentId: number
  env: Env
  /** Who may post request comments (the request-author input); any bot account when empty. */
  authors: string[]
}

/** Write, maintain or admin by the REST permission endpoint; any error there means no. */
async function mayWrite(ctx: Context, association: string | undefined): Promise<boolean> {
  if (!association || !MAY_WRITE.includes(association)) return false
  try {
    const {data} = await ctx.gh.rest.repos.getCollaboratorPermissionLevel({owner: ctx.owner, repo: ctx.repo, username: ctx.login})
    return hasWriteAccess(data)
  } catch (error) {
    ctx.io.info(`the permission of ${ctx.login} cannot be read (${describe(error)}); treating it as none`)
    return false
  }
}

/**
 * The request comments on this PR. Only comments by the requesting identity count: anyone who can comment can
 * also write a marker, and a forged request (say, with another `by=`) must not be resolvable.
 */
async function listRequests(ctx: Context): Promise<RequestComment[]> {
  const comments = await ctx.gh.paginate(ctx.gh.rest.issues.listComments, {owner: ctx.owner, repo: ctx.repo, issue_number: ctx.pr, per_page: 100})
  const out: RequestComment[] = []
  for (const c of comments) {
    const body = c.body ?? ''
    if (!body.startsWith('<!-- rampart:approval ')) continue
    const trusted = ctx.authors.length > 0 ? ctx.authors.some((a) => c.user !== null && sameLogin(a, c.user.login)) : c.user?.type === 'Bot'
    if (!trusted) continue
    const marker = parseMarker(body)
    if (marker) out.push({id: c.id, body, marker})
  }
  return out
}

const short = (sha: string) => sha.slice(0, 12)

async function resolveOne(ctx: Context, command: Extract<Command, {kind: 'approve' | 'deny'}>, head: string, requests: RequestComment[]): Promise<ApproveResult> {
  const {login} = ctx
  const matches = requests.filter((r) => sameId(r.marker.id, command.id))
  if (matches.length === 0) {
    await reply(ctx, `@${login} there is no Rampart approval request \`${command.id}\` on this pull request (an id answers only on the pull request where it was asked); nothing changed.`)
    ctx.io.info(`refused: unknown id ${command.id}`)
    return 'refused'
  }
  const pending = matches.filter((r) => r.marker.status === 'pending')
  if (pending.length === 0) {
    await reply(ctx, `@${login} request \`${command.id}\` is already ${describeResolved((matches[0] as RequestComment).marker)}; nothing changed.`)
    ctx.io.info(`refused: ${command.id} is already resolved`)
    return 'refused'
  }
  const current = pending.filter((r) => r.marker.sha === head)
  if (current.length === 0) {
    await reply(ctx, `@${login} request \`${command.id}\` was made for commit \`${short((pending[0] as RequestComment).marker.sha)}\`, but the head of this pull request is now \`${short(head)}\`: the request is stale and cannot be answered. The agent has to ask again.`)
    ctx.io.info(`refused: ${command.id} is stale`)
    return 'refused'
  }
  if (command.kind === 'approve' && current.some((r) => r.marker.by.some((b) => sameLogin(b, login)))) {
    await reply(ctx, `@${login} you started the run that asked for \`${command.id}\`, so someone else has to approve it; nothing changed.`)
    ctx.io.info(`refused: ${login} cannot approve their own request`)
    return 'refused'
  }
  const approved = command.kind === 'approve'
  const resolution: Resolution = {status: approved ? 'approved' : 'denied', at: new Date(), by: login, cmd: String(ctx.commentId), ...(command.kind === 'deny' && command.reason ? {reason: command.reason} : {})}
  let done = 0
  for (const r of current) if (await resolve(ctx, r, resolution)) done++
  if (done === 0) {
    await reply(ctx, `@${login} request \`${command.id}\` was resolved in the meantime; nothing changed.`)
    return 'refused'
  }
  await react(ctx, approved ? '+1' : '-1')
  const text = `${approved ? 'Approved' : 'Denied'} \`${command.id}\` for @${login}${resolution.reason ? ` (reason: ${inline(resolution.reason, REASON_MAX)})` : ''}.`
  ctx.io.info(text)
  await summarise(ctx, text)
  return approved ? 'approved' : 'denied'
}

async function resolveRun(ctx: Context, run: string, head: string, requests: RequestComment[]): Promise<ApproveResult> {
  const {login} = ctx
  const ofRun = requests.filter((r) => r.marker.run === run)
  const pending = ofRun.filter((r) => r.marker.status === 'pending')
  if (pending.length === 0) {
    await reply(ctx, `@${login} there ${ofRun.length === 0 ? 'are no Rampart approval requests' : 'are no pending Rampart approval requests'} of workflow run ${run} on this pull request; nothing changed.`)
    ctx.io.info(`refused: nothing pending for run ${run}`)
    return 'refused'
  }
  const stale = pending.filter((r) => r.marker.sha !== head)
  const own = pending.filter((r) => r.marker.sha === head && r.marker.by.some((b) => sameLogin(b, login)))
  const ok = pending.filter((r) => r.marker.sha === head && !own.includes(r))
  const resolution: Resolution = {status: 'approved', at: new Date(), by: login, cmd: String(ctx.commentId), via: `all pending requests of run ${run}`}
  const approved: string[] = []
  for (const r of ok) if (await resolve(ctx, r, resolution)) approved.push(r.marker.id)
  const ids = (list: RequestComment[] | string[]) => list.map((r) => `\`${typeof r === 'string' ? r : r.marker.id}\``).join(', ')
  const lines = [approved.length > 0 ? `@${login} approved ${approved.length} request${approved.length === 1 ? '' : 's'} of workflow run ${run}: ${ids(approved)}.` : `@${login} nothing of workflow run ${run} was approved.`]
  if (stale.length > 0) lines.push(`Stale (made for an older head than \`${short(head)}\`), not approved: ${ids(stale)}.`)
  if (own.length > 0) lines.push(`Requested by a run you started, so someone else has to approve: ${ids(own)}.`)
  await reply(ctx, lines.join('\n\n'))
  if (approved.length > 0) await react(ctx, '+1')
  ctx.io.info(lines.join(' '))
  await summarise(ctx, lines.join('\n\n'))
  return approved.length > 0 ? 'approved' : 'refused'
}

const describeResolved = (m: ApprovalMarker): string => `${m.status}${m.resolver ? ` by @${cleanLogin(m.resolver) ?? 'someone'}` : ''}${m.at ? ` (${inline(m.at, 40)})` : ''}`

/**
 * Resolve one request: the audit event first (a resolution that cannot be recorded is not made), then the edit
 * that the waiting hook sees. The comment is read again just before the edit so that an expiry or another answer
 * in the meantime is not overwritten. False when it was no longer pending.
 */
async function resolve(ctx: Context, r: RequestComment, resolution: Resolution): Promise<boolean> {
  const {gh, owner, repo} = ctx
  const fresh = (await gh.rest.issues.getComment({owner, repo, comment_id: r.id})).data.body ?? ''
  const marker = parseMarker(fresh)
  if (!marker || marker.status !== 'pending' || !sameId(marker.id, r.marker.id)) return false
  const call = parseRequestedCall(fresh)
  const request: AuditRequest & Record<string, unknown> = {...call?.request, approval_id: marker.id, pull_request: `${owner}/${repo}#${ctx.pr}`, workflow_run: marker.run}
  new AuditLog(rampartHome(ctx.env)).append({
    tool: call?.tool ?? 'unknown', agent: call?.agent ?? 'unknown', session: call?.session ?? '', request,
    decision: {
      action: 'ask', resolved: resolution.status === 'approved' ? 'approved' : 'denied', resolved_by: `github:${ctx.login}`,
      matched_policies: call?.policy ? [call.policy] : [],
      message: `${call?.message ?? ''}${resolution.reason ? ` — denied: ${resolution.reason}` : ''}`,
    },
  })
  await gh.rest.issues.updateComment({owner, repo, comment_id: r.id, body: resolveBody(fresh, resolution)})
  return true
}

/** Replies and reactions are courtesy: a failure is a warning, never a different outcome. */
async function reply(ctx: Context, body: string): Promise<void> {
  try {
    await ctx.gh.rest.issues.createComment({owner: ctx.owner, repo: ctx.repo, issue_number: ctx.pr, body})
  } catch (error) {
    ctx.io.warning(`cannot reply on #${ctx.pr} (${describe(error)}): ${body}`)
  }
}

async function react(ctx: Context, content: Reaction): Promise<void> {
  try {
    await ctx.gh.rest.reactions.createForIssueComment({owner: ctx.owner, repo: ctx.repo, comment_id: ctx.commentId, content})
  } catch (error) {
    ctx.io.warning(`cannot react ${content} to comment ${ctx.commentId} (${describe(error)}${statusOf(error) === 403 ? '; the token needs issues: write' : ''})`)
  }
}

async function summarise(ctx: Context, text: string): Promise<void> {
  if (!ctx.io.summary) return
  try {
    ctx.io.summary.addRaw(`### Rampart approval\n\n${text}\n`, true)
    await ctx.io.summary.write()
  } catch (error) {
    ctx.io.warning(`cannot write the job summary (${describe(error)})`)
  }
}
