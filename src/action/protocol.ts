import {ulid} from 'ulid'

import {redact} from '../core/audit/redact.js'
import type {Decision, ToolCall} from '../core/engine/evaluate.js'
import {LOGIN} from './io.js'

/**
 * The PR-comment approval protocol (github.md "Approvals through PR comments"): the request comment the waiting
 * hook posts, the hidden marker both sides read, the in-place edit that resolves it, and the `/rampart …` replies.
 *
 * Only the first line of a request comment is trusted as its marker and the rest is display: the call's command
 * is agent-controlled text and may itself contain anything, marker look-alikes included.
 */

export type RequestStatus = 'pending' | 'approved' | 'denied' | 'expired'
const STATUSES: readonly RequestStatus[] = ['pending', 'approved', 'denied', 'expired']

export interface ApprovalMarker {
  id: string
  sha: string
  run: string
  /** Who started the run (GITHUB_ACTOR, and the re-runner when different): they cannot approve it. */
  by: string[]
  status: RequestStatus
  /** Set on resolution: the login that decided, the `/rampart` comment that did it, and when. */
  resolver?: string
  cmd?: string
  at?: string
}

/** What the request was about, kept in the comment (hidden) so that the approve job can audit it. */
export interface RequestedCall {
  tool: string
  agent: string
  session: string
  request: {command?: string; path?: string; url?: string}
  policy?: string
  message: string
}

export interface RequestDetails {
  id: string
  sha: string
  run: string
  requesters: string[]
  call: ToolCall
  decision: Pick<Decision, 'message' | 'decided_by' | 'matched_policies'>
  expiresAt: Date
  runUrl?: string | undefined
}

export type Command =
  | {kind: 'none'}
  | {kind: 'approve'; id: string}
  | {kind: 'deny'; id: string; reason?: string}
  | {kind: 'approve-run'; run: string}
  | {kind: 'malformed'; problem: string}

const MARKER = /^<!-- rampart:approval ((?:[a-z_]+=\S*\s+)+)-->\s*$/
const CALL_LINE = /^<!-- rampart:call ([A-Za-z0-9_-]*) -->\s*$/
const STATE_OPEN = '<!-- rampart:state -->'
const STATE_CLOSE = '<!-- /rampart:state -->'
const REPLY_OPEN = '<!-- rampart:reply -->'
const REPLY_CLOSE = '<!-- /rampart:reply -->'
const ID = /^[A-Za-z0-9_-]{1,64}$/
const SHOWN_MAX = 3000
export const REASON_MAX = 300

/** A ULID: 80 random bits behind a timestamp, short enough to type, case-insensitive by definition. */
export function newApprovalId(): string {
  return ulid()
}

/** Ids are compared as the user typed them modulo case (ULIDs are case-insensitive). */
export const sameId = (a: string, b: string): boolean => a.toUpperCase() === b.toUpperCase()

export const sameLogin = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase()

/** A login as it may appear in a marker; anything else (spaces, `-->`) would break the marker. */
export const cleanLogin = (login: string | undefined): string | undefined => (login && LOGIN.test(login) ? login : undefined)

export function renderMarker(m: ApprovalMarker): string {
  const fields: [string, string | undefined][] = [
    ['id', m.id], ['sha', m.sha], ['run', m.run], ['by', m.by.join(',')], ['status', m.status],
    ['resolver', m.resolver], ['cmd', m.cmd], ['at', m.at],
  ]
  const text = fields.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${(v as string).replace(/[\s>]/g, '')}`).join(' ')
  return `<!-- rampart:approval ${text} -->`
}

/** The marker on a comment's first line, or undefined when the comment is not a well-formed request. */
export function parseMarker(body: string | null | undefined): ApprovalMarker | undefined {
  const first = (body ?? '').split('\n', 1)[0] ?? ''
  const m = MARKER.exec(first)
  if (!m) return undefined
  const f = new Map<string, string>()
  for (const pair of (m[1] as string).trim().split(/\s+/)) {
    const eq = pair.indexOf('=')
    f.set(pair.slice(0, eq), pair.slice(eq + 1))
  }
  const id = f.get('id')
  const sha = f.get('sha')
  const run = f.get('run')
  const status = f.get('status') as RequestStatus | undefined
  if (!id || !ID.test(id) || !sha || !run || !status || !STATUSES.includes(status)) return undefined
  const marker: ApprovalMarker = {id, sha, run, by: (f.get('by') ?? '').split(',').filter((b) => b !== ''), status}
  for (const key of ['resolver', 'cmd', 'at'] as const) {
    const v = f.get(key)
    if (v) marker[key] = v
  }
  return marker
}

/** The hidden call description on line 2, when present and readable. */
export function parseRequestedCall(body: string | null | undefined): RequestedCall | undefined {
  const second = (body ?? '').split('\n', 2)[1] ?? ''
  const m = CALL_LINE.exec(second)
  if (!m) return undefined
  try {
    const parsed = JSON.parse(Buffer.from(m[1] as string, 'base64url').toString('utf8')) as Partial<RequestedCall>
    if (typeof parsed.tool !== 'string') return undefined
    return {
      tool: parsed.tool, agent: typeof parsed.agent === 'string' ? parsed.agent : 'unknown', session: typeof parsed.session === 'string' ? parsed.session : '',
      request: parsed.request && typeof parsed.request === 'object' ? parsed.request : {},
      ...(typeof parsed.policy === 'string' ? {policy: parsed.policy} : {}),
      message: typeof parsed.message === 'string' ? parsed.message : '',
    }
  } catch {
    return undefined
  }
}

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…` : text)

/** Text for a table cell or a sentence: one line, no HTML, no table breaks, no accidental formatting runs. */
export function inline(text: string, max = 500): string {
  return clip(text.replace(/\s+/g, ' ').trim(), max).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|')
}

/** A fenced block that the content cannot close: the fence is longer than any backtick run inside. */
function fenced(text: string, info = ''): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length))
  const fence = '`'.repeat(Math.max(3, longest + 1))
  return `${fence}${info}\n${text}\n${fence}`
}

const utc = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`

/** What the agent wants to do, secrets redacted: this goes into a PR comment that many people can read. */
function shownCall(call: ToolCall): {label: string; text: string; request: RequestedCall['request']} {
  if (call.command !== undefined) return {label: 'run', text: redact(call.command), request: {command: clip(redact(call.command), SHOWN_MAX)}}
  if (call.path !== undefined) return {label: inline(call.tool, 50), text: redact(call.path), request: {path: clip(redact(call.path), SHOWN_MAX)}}
  if (call.url !== undefined) return {label: 'fetch', text: redact(call.url), request: {url: clip(redact(call.url), SHOWN_MAX)}}
  let params = ''
  try {
    params = JSON.stringify(call.params ?? {}, null, 2)
  } catch {
    params = '(parameters not shown)'
  }
  return {label: `call \`${inline(call.tool, 100)}\` with`, text: redact(params), request: {}}
}

function stateBlock(status: RequestStatus, text: string): string {
  const heading = {pending: '⏳ Rampart: approval needed', approved: '✅ Rampart: approved', denied: '❌ Rampart: denied', expired: '⌛ Rampart: expired'}[status]
  return `${STATE_OPEN}\n### ${heading}\n\n${text}\n${STATE_CLOSE}`
}

/** The request comment. It starts with the marker, so it can never be read as a `/rampart` command itself. */
export function renderRequest(r: RequestDetails): string {
  const shown = shownCall(r.call)
  const policy = r.decision.decided_by?.policy ?? r.decision.matched_policies[0]
  const hidden: RequestedCall = {
    tool: r.call.tool, agent: r.call.agent ?? 'unknown', session: r.call.session ?? '', request: shown.request,
    ...(policy !== undefined ? {policy} : {}), message: clip(redact(r.decision.message), 1000),
  }
  const who = r.requesters.length > 0 ? r.requesters.map((l) => `@${l}`).join(', ') : 'unknown'
  const run = r.runUrl ? `[${r.run}](${r.runUrl})` : r.run
  const rows: [string, string][] = [
    ['Tool', `\`${inline(r.call.tool, 100)}\``],
    ['Decided by', policy !== undefined ? `\`${inline(policy, 200)}\`` : 'the default action'],
    ['Policy message', inline(redact(r.decision.message)) || '—'],
    ['Head commit', `\`${r.sha}\``],
    ['Workflow run', run],
    ['Requested by', `${who} (cannot approve it)`],
    ['Expires', utc(r.expiresAt)],
  ]
  return [
    renderMarker({id: r.id, sha: r.sha, run: r.run, by: r.requesters, status: 'pending'}),
    `<!-- rampart:call ${Buffer.from(JSON.stringify(hidden)).toString('base64url')} -->`,
    stateBlock('pending', `Waiting for an answer until ${utc(r.expiresAt)}; with none, the call is denied.`),
    '',
    `An agent in this pull request's workflow wants to ${shown.label}:`,
    '',
    fenced(clip(shown.text, SHOWN_MAX), 'text'),
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    REPLY_OPEN,
    '**To approve**, reply with exactly:',
    '',
    fenced(`/rampart approve ${r.id}`),
    '',
    '**To deny** (the reason is optional):',
    '',
    fenced(`/rampart deny ${r.id} <reason>`),
    '',
    `To approve every pending request of this workflow run: \`/rampart approve-run ${r.run}\`.`,
    '',
    'Only people with write access to the repository can answer, and not the one who started the run. A new push makes this request stale.',
    REPLY_CLOSE,
  ].join('\n')
}

export interface Resolution {
  status: Exclude<RequestStatus, 'pending'>
  at: Date
  by?: string
  /** The id of the `/rampart` comment that decided it. */
  cmd?: string
  reason?: string
  /** How the decision came about when not by a single command, e.g. "for all of run 123". */
  via?: string
}

/**
 * The request comment resolved in place: new marker, new state, and no reply instructions. Blocks are found from
 * the comment's own layout (state before the call, reply after it), so a command that quotes our block markers
 * cannot move them.
 */
export function resolveBody(body: string, r: Resolution): string {
  const lines = body.split('\n')
  const marker = parseMarker(body)
  if (!marker) throw new Error('not a Rampart request comment')
  const resolved: ApprovalMarker = {...marker, status: r.status, at: r.at.toISOString()}
  delete resolved.resolver
  delete resolved.cmd
  if (r.by) resolved.resolver = r.by
  if (r.cmd) resolved.cmd = r.cmd
  lines[0] = renderMarker(resolved)
  let text = lines.join('\n')
  const reason = r.reason ? ` Reason: ${inline(r.reason, REASON_MAX)}` : ''
  const via = r.via ? ` (${inline(r.via, 200)})` : ''
  const state = r.status === 'expired'
    ? stateBlock('expired', `No answer by ${utc(r.at)}: the call was denied.`)
    : stateBlock(r.status, `${r.status === 'approved' ? 'Approved' : 'Denied'} by @${r.by ?? 'unknown'} on ${utc(r.at)}${via}.${reason}`)
  const open = text.indexOf(STATE_OPEN)
  const close = open < 0 ? -1 : text.indexOf(STATE_CLOSE, open)
  if (open >= 0 && close >= 0) {
    text = text.slice(0, open) + state + text.slice(close + STATE_CLOSE.length)
  } else {
    const head = text.indexOf('\n')
    text = head < 0 ? `${text}\n${state}` : `${text.slice(0, head)}\n${state}${text.slice(head)}`
  }
  const replyOpen = text.lastIndexOf(REPLY_OPEN)
  const replyClose = text.lastIndexOf(REPLY_CLOSE)
  if (replyOpen >= 0 && replyClose > replyOpen) text = text.slice(0, replyOpen) + text.slice(replyClose + REPLY_CLOSE.length)
  return text.trimEnd()
}

export const USAGE = [
  'Usage (first line of a new comment):',
  '',
  '```',
  '/rampart approve <id>',
  '/rampart deny <id> [reason]',
  '/rampart approve-run <run_id>',
  '```',
  '',
  'The id is in the request comment. Only people with write access can answer, and not the one who started the run.',
].join('\n')

/**
 * A reply's command: the first line only, backticks stripped, the verb in any case. Anything that starts with
 * `/rampart` but is not exactly one of the three forms is malformed (and gets the usage), so that a typo is
 * never silently read as something else — in particular `approve <id> <anything>` is not an approval.
 */
export function parseCommand(body: string | null | undefined): Command {
  const first = ((body ?? '').split(/\r?\n/, 1)[0] ?? '').replace(/`/g, '').trim()
  const m = /^\/rampart(?:\s+(.*))?$/i.exec(first)
  if (!m) return {kind: 'none'}
  const rest = (m[1] ?? '').trim()
  const words = rest === '' ? [] : rest.split(/\s+/)
  const verb = words[0]?.toLowerCase()
  const shown = (w: string) => (/^[\w-]{1,32}$/.test(w) ? `"${w}"` : 'that')
  if (verb === undefined) return {kind: 'malformed', problem: 'no command after /rampart'}
  if (verb === 'approve' || verb === 'deny') {
    const id = words[1]
    if (id === undefined) return {kind: 'malformed', problem: `${verb} needs the request id`}
    if (!ID.test(id)) return {kind: 'malformed', problem: 'that is not a request id (letters and digits, as shown in the request comment)'}
    if (verb === 'approve') {
      if (words.length > 2) return {kind: 'malformed', problem: 'approve takes the id and nothing else (to give a reason, deny)'}
      return {kind: 'approve', id}
    }
    const reason = rest.replace(/^\S+\s+\S+\s*/, '').trim()
    return reason ? {kind: 'deny', id, reason: clip(reason, REASON_MAX)} : {kind: 'deny', id}
  }
  if (verb === 'approve-run') {
    const run = words[1]
    if (run === undefined) return {kind: 'malformed', problem: 'approve-run needs the workflow run id'}
    if (!/^\d{1,20}$/.test(run)) return {kind: 'malformed', problem: 'a workflow run id is a number'}
    if (words.length > 2) return {kind: 'malformed', problem: 'approve-run takes the run id and nothing else'}
    return {kind: 'approve-run', run}
  }
  return {kind: 'malformed', problem: `${shown(words[0] as string)} is not a Rampart command`}
}
