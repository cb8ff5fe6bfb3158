import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {runApprove} from '../../src/action/approve.js'
import {githubChannelFromEnv, githubConfigFromEnv} from '../../src/action/channel.js'
import {createGitHub} from '../../src/action/github.js'
import {parseMarker, renderMarker, type ApprovalMarker} from '../../src/action/protocol.js'
import type {Decision, ToolCall} from '../../src/core/engine/evaluate.js'
import {decideHookAsync} from '../../src/core/hook/claude-code.js'
import {DEPLOY_ASK_POLICY, sandbox, write} from '../helpers.js'
import {actionEnv, auditEvents, fakeIO, GitHubStandIn, HEAD, OLD_HEAD, type StandInComment} from './stand-in.js'

let gh: GitHubStandIn
let s: ReturnType<typeof sandbox>

beforeEach(async () => {
  gh = await GitHubStandIn.start()
  s = sandbox()
  gh.setHead(7, HEAD)
  gh.setRole('alice', 'write')
  gh.setRole('maja', 'maintain')
  gh.setRole('bob', 'write')
  // the approve workflow's own token, so that faults can be aimed at the waiting hook alone
  gh.addUser('github-actions[bot]', 'Bot', 'ghs_approve')
})
afterEach(async () => gh.close())

const CALL: ToolCall = {tool: 'exec', command: 'kubectl apply -f prod.yaml', agent: 'claude-code', session: 'widgets/agent-tidy'}
const ASK: Decision = {
  action: 'ask', message: 'Production deployment requires approval', decided_by: null, matched_policies: ['deploys'], matched_rules: [],
  headless_only: false, audit: true, from_project: false, suggestions: [], session: 'widgets/agent-tidy', notes: [], eval_us: 1,
}

async function until<T>(probe: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = probe()
    if (v !== undefined && v !== false) return v
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Start a waiting hook's request; resolves with its outcome, the request comment once posted, and its log. */
function ask(extra: Record<string, string | undefined> = {}, call: ToolCall = CALL) {
  const logs: string[] = []
  const channel = githubChannelFromEnv(actionEnv(gh, s.env, extra), (m) => logs.push(m))
  if (!channel) throw new Error('no channel')
  const started = Date.now()
  const outcome = Promise.resolve(channel.request(call, ASK))
  const existing = new Set(gh.comments.map((c) => c.id))
  const posted = () => until(() => gh.comments.find((c) => !existing.has(c.id) && c.body.startsWith('<!-- rampart:approval')))
  return {outcome, posted, logs, started}
}

async function answer(login: string, body: string, pr = 7) {
  const comment = gh.addComment(pr, login, body)
  const io = fakeIO(actionEnv(gh, s.env, {GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: gh.eventFile(s.root, comment), GITHUB_ACTOR: login, GITHUB_TOKEN: 'ghs_approve'}))
  await runApprove(io.io)
  expect(io.failures).toEqual([])
  return comment
}

const idOf = (c: StandInComment) => parseMarker(c.body)?.id as string
const polls = (c: StandInComment) => gh.requestsTo('GET', new RegExp(`/issues/comments/${c.id}$`)).filter((r) => r.token === 'ghs_actions')

describe('githubChannelFromEnv', () => {
  const base = () => actionEnv(gh, s.env)

  it('applies only in GitHub Actions, with a token, a repository and a pull request', () => {
    expect(githubChannelFromEnv(base())).toBeDefined()
    expect(githubChannelFromEnv({...base(), GITHUB_ACTIONS: undefined})).toBeUndefined()
    expect(githubChannelFromEnv({...base(), GITHUB_TOKEN: undefined})).toBeUndefined()
    expect(githubChannelFromEnv({...base(), RAMPART_GITHUB_PR: undefined})).toBeUndefined()
    expect(githubChannelFromEnv({...base(), RAMPART_GITHUB_PR: 'seven'})).toBeUndefined()
    expect(githubChannelFromEnv({...base(), GITHUB_REPOSITORY: 'widgets'})).toBeUndefined()
  })

  it('prefers RAMPART_GITHUB_TOKEN, and reads the timeout, the poll pace and who started the run', () => {
    const c = githubConfigFromEnv({...base(), RAMPART_GITHUB_TOKEN: 'ghp_rampart', GITHUB_TRIGGERING_ACTOR: 'bob', RAMPART_APPROVAL_TIMEOUT_MINUTES: '0.25', RAMPART_GITHUB_POLL_MS: undefined})
    expect(c).toMatchObject({token: 'ghp_rampart', owner: 'octo-org', repo: 'widgets', pr: 7, sha: HEAD, runId: '555', requesters: ['alice', 'bob'], timeoutMs: 15_000, pollMs: 2000, maxPollMs: 15_000})
    expect(githubConfigFromEnv({...base(), RAMPART_APPROVAL_TIMEOUT_MINUTES: undefined, GITHUB_TRIGGERING_ACTOR: 'ALICE'})).toMatchObject({timeoutMs: 30 * 60_000, requesters: ['alice']})
    expect(githubConfigFromEnv({...base(), RAMPART_APPROVAL_TIMEOUT_MINUTES: 'soon'})?.timeoutMs).toBe(30 * 60_000)
  })

  it('takes the PR and its head from the pull_request event payload', () => {
    const event = write(join(s.root, 'event.json'), JSON.stringify({action: 'synchronize', number: 12, pull_request: {number: 12, head: {sha: 'abcdef1234567890abcdef1234567890abcdef12'}}}))
    expect(githubConfigFromEnv({...base(), RAMPART_GITHUB_PR: undefined, RAMPART_GITHUB_SHA: undefined, GITHUB_EVENT_PATH: event})).toMatchObject({pr: 12, sha: 'abcdef1234567890abcdef1234567890abcdef12'})
    const comment = write(join(s.root, 'comment.json'), JSON.stringify({action: 'created', issue: {number: 13, pull_request: {url: 'x'}}}))
    const c = githubConfigFromEnv({...base(), RAMPART_GITHUB_PR: undefined, RAMPART_GITHUB_SHA: undefined, GITHUB_EVENT_PATH: comment})
    expect(c?.pr).toBe(13)
    expect(c?.sha).toBeUndefined()
    const issue = write(join(s.root, 'issue.json'), JSON.stringify({action: 'created', issue: {number: 14}}))
    expect(githubConfigFromEnv({...base(), RAMPART_GITHUB_PR: undefined, GITHUB_EVENT_PATH: issue})).toBeUndefined()
  })
})

describe('the waiting hook', () => {
  it('posts the request, polls it with ETags and backoff, and answers approved once a writer approves', async () => {
    const w = ask()
    const request = await w.posted()
    expect(request.user.login).toBe('github-actions[bot]')
    expect(parseMarker(request.body)).toMatchObject({sha: HEAD, run: '555', by: ['alice'], status: 'pending'})
    await until(() => polls(request).length >= 5 || undefined)
    await answer('maja', `/rampart approve ${idOf(request)}`)
    expect(await w.outcome).toBe('approved')
    const hook = polls(request).filter((r) => r.ifNoneMatch !== undefined)
    // every poll after the first is conditional, and an unchanged comment costs a 304
    expect(hook.length).toBeGreaterThanOrEqual(4)
    expect(hook.filter((r) => r.status === 304).length).toBeGreaterThanOrEqual(3)
    const gaps = hook.slice(1).map((r, i) => r.at - (hook[i] as {at: number}).at)
    expect(Math.max(...gaps)).toBeGreaterThan(Math.min(...gaps))
    expect(w.logs.join('\n')).toMatch(/approved by maja/)
  })

  it('answers denied when a writer denies', async () => {
    const w = ask()
    const request = await w.posted()
    await answer('bob', `/rampart deny ${idOf(request)} not today`)
    expect(await w.outcome).toBe('denied')
  })

  it('reads the head from the pull request when none is configured', async () => {
    const w = ask({RAMPART_GITHUB_SHA: undefined})
    const request = await w.posted()
    expect(parseMarker(request.body)?.sha).toBe(HEAD)
    await answer('maja', `/rampart approve ${idOf(request)}`)
    expect(await w.outcome).toBe('approved')
  })

  it('expires: with no answer in time the comment is marked expired and the call denied', async () => {
    const w = ask({RAMPART_APPROVAL_TIMEOUT_MINUTES: '0.01'})
    const request = await w.posted()
    expect(await w.outcome).toBe('denied')
    expect(Date.now() - w.started).toBeGreaterThanOrEqual(550)
    expect(parseMarker(gh.comment(request.id)?.body)?.status).toBe('expired')
    expect(gh.comment(request.id)?.body).toContain('the call was denied')
    // an expired request cannot be approved afterwards
    await answer('maja', `/rampart approve ${idOf(request)}`)
    expect(parseMarker(gh.comment(request.id)?.body)?.status).toBe('expired')
  })

  it('a fork\'s read-only token cannot post the request: unavailable, and nothing is posted', async () => {
    gh.addUser('github-actions[bot]', 'Bot', 'ghs_fork', true)
    const w = ask({GITHUB_TOKEN: 'ghs_fork'})
    expect(await w.outcome).toBe('unavailable')
    expect(gh.comments).toEqual([])
    expect(w.logs.join('\n')).toMatch(/cannot post the approval request on PR #7 \(403 Resource not accessible by integration/)
  })

  it('a request that cannot be posted through repeated 500s is unavailable', async () => {
    gh.inject({status: 500, times: 10, when: ({method}) => method === 'POST'})
    const w = ask()
    expect(await w.outcome).toBe('unavailable')
    expect(gh.requestsTo('POST', /\/comments$/)).toHaveLength(4)
  })

  it('API errors while waiting (500, timeouts, 401) are waited out, and a later approval still counts', async () => {
    const w = ask({RAMPART_GITHUB_TIMEOUT_MS: '150'})
    const request = await w.posted()
    const hook = ({method, path, token}: {method: string; path: string; token: string | undefined}) => method === 'GET' && path.endsWith(`/comments/${request.id}`) && token === 'ghs_actions'
    gh.inject({status: 500, times: 3, when: hook})
    gh.inject({delayMs: 600, times: 2, when: hook})
    gh.inject({status: 401, times: 3, when: hook})
    await until(() => gh.faults.every((f) => f.times === 0) || undefined)
    await answer('maja', `/rampart approve ${idOf(request)}`)
    expect(await w.outcome).toBe('approved')
    const statuses = gh.requestsTo('GET', new RegExp(`/comments/${request.id}$`)).map((r) => r.status)
    expect(statuses).toContain(500)
    expect(statuses).toContain(401)
    expect(w.logs.join('\n')).toMatch(/polling failed \(401 Bad credentials\); still waiting/)
  })

  it('when the API keeps failing until the deadline, the answer is denied — even if someone approved meanwhile', async () => {
    const w = ask({RAMPART_APPROVAL_TIMEOUT_MINUTES: '0.05'})
    const request = await w.posted()
    gh.inject({status: 500, times: 100_000, when: ({path, token}) => path.endsWith(`/comments/${request.id}`) && token === 'ghs_actions'})
    await answer('maja', `/rampart approve ${idOf(request)}`)
    expect(parseMarker(gh.comment(request.id)?.body)?.status).toBe('approved')
    expect(await w.outcome).toBe('denied')
  })

  it('a revoked token (401 on every poll) ends in a deny at the deadline', async () => {
    const w = ask({RAMPART_APPROVAL_TIMEOUT_MINUTES: '0.01'})
    const request = await w.posted()
    gh.tokens.delete('ghs_actions')
    expect(await w.outcome).toBe('denied')
    expect(gh.requestsTo('GET', new RegExp(`/comments/${request.id}$`)).filter((r) => r.status === 401).length).toBeGreaterThan(1)
  })

  it('honours a rate limit while polling: waits for the reset, then sees the approval', async () => {
    const w = ask()
    const request = await w.posted()
    let limitedAt = 0
    gh.rateLimit(1, ({method, path, token}) => {
      const hit = method === 'GET' && path.endsWith(`/comments/${request.id}`) && token === 'ghs_actions'
      if (hit) limitedAt = Date.now()
      return hit
    })
    await until(() => limitedAt || undefined)
    await answer('maja', `/rampart approve ${idOf(request)}`)
    expect(await w.outcome).toBe('approved')
    const after = gh.requestsTo('GET', new RegExp(`/comments/${request.id}$`)).filter((r) => r.token === 'ghs_actions' && r.at >= limitedAt && r.status !== 403)
    expect(Math.floor((after[0]?.at ?? 0) / 1000)).toBeGreaterThan(Math.floor(limitedAt / 1000))
  })

  it('a deleted request comment is a deny', async () => {
    const w = ask()
    const request = await w.posted()
    gh.comments.splice(gh.comments.indexOf(request), 1)
    expect(await w.outcome).toBe('denied')
    expect(w.logs.join('\n')).toMatch(/deleted/)
  })

  it('approve-run answers every waiting request of the run', async () => {
    const first = ask()
    const a = await first.posted()
    const second = ask()
    const b = await second.posted()
    await answer('maja', '/rampart approve-run 555')
    expect(await first.outcome).toBe('approved')
    expect(await second.outcome).toBe('approved')
    expect([a, b].map((c) => parseMarker(gh.comment(c.id)?.body)?.status)).toEqual(['approved', 'approved'])
    expect(auditEvents(s.rampartHome)).toHaveLength(2)
  })
})

describe('the waiting hook does not trust an edited marker alone', () => {
  // the job's token can edit the request comment, and the agent may be able to use that token
  const forge = async (request: StandInComment, fields: Partial<ApprovalMarker>) => {
    const m = parseMarker(request.body)
    if (!m) throw new Error('no marker')
    const body = [renderMarker({...m, status: 'approved', ...fields}), ...request.body.split('\n').slice(1)].join('\n')
    const octokit = createGitHub({token: 'ghs_actions', baseUrl: gh.url, env: {}})
    await octokit.rest.issues.updateComment({owner: gh.owner, repo: gh.repo, comment_id: request.id, body})
  }

  it('an approval with no approving comment is a deny', async () => {
    const w = ask()
    await forge(await w.posted(), {resolver: 'maja'})
    expect(await w.outcome).toBe('denied')
    expect(w.logs.join('\n')).toMatch(/without the approving comment/)
  })

  it('an approval pointing at the requester\'s own command is a deny', async () => {
    const w = ask()
    const request = await w.posted()
    const own = gh.addComment(7, 'alice', `/rampart approve ${idOf(request)}`)
    await forge(request, {resolver: 'alice', cmd: String(own.id)})
    expect(await w.outcome).toBe('denied')
  })

  it('an approval pointing at someone else\'s unrelated comment is a deny', async () => {
    const w = ask()
    const request = await w.posted()
    const lgtm = gh.addComment(7, 'maja', 'LGTM')
    await forge(request, {resolver: 'maja', cmd: String(lgtm.id)})
    expect(await w.outcome).toBe('denied')
  })

  it('an approval by a bot account is a deny', async () => {
    const w = ask()
    const request = await w.posted()
    const bot = gh.addComment(7, 'github-actions[bot]', `/rampart approve ${idOf(request)}`)
    await forge(request, {resolver: 'github-actions[bot]', cmd: String(bot.id)})
    expect(await w.outcome).toBe('denied')
  })

  it('a marker that disappears is a deny', async () => {
    const w = ask()
    const request = await w.posted()
    await createGitHub({token: 'ghs_actions', baseUrl: gh.url, env: {}}).rest.issues.updateComment({owner: gh.owner, repo: gh.repo, comment_id: request.id, body: 'approved!'})
    expect(await w.outcome).toBe('denied')
  })

  const permissionLooks = (login: string) => gh.requestsTo('GET', new RegExp(`/collaborators/${login}/permission$`)).filter((r) => r.token === 'ghs_actions')

  it('attack A: a read-only user\'s `/rampart approve` is refused by the workflow, and the hook keeps waiting until it expires', async () => {
    gh.addUser('eve')
    const w = ask({RAMPART_APPROVAL_TIMEOUT_MINUTES: '0.02'})
    const request = await w.posted()
    await answer('eve', `/rampart approve ${idOf(request)}`)
    expect(parseMarker(gh.comment(request.id)?.body)?.status).toBe('pending')
    expect(await w.outcome).toBe('denied')
    expect(parseMarker(gh.comment(request.id)?.body)?.status).toBe('expired')
  })

  it('attack A: a marker pointed at a read-only (or triage) user\'s `/rampart approve` is a deny, by the permission GitHub reports', async () => {
    gh.addUser('eve')
    gh.setRole('tess', 'triage')
    for (const login of ['eve', 'tess']) {
      const w = ask()
      const request = await w.posted()
      const own = await answer(login, `/rampart approve ${idOf(request)}`)
      // the approve workflow refused it: the request is still pending
      expect(parseMarker(gh.comment(request.id)?.body)?.status).toBe('pending')
      await forge(request, {resolver: login, cmd: String(own.id)})
      expect(await w.outcome).toBe('denied')
      expect(w.logs.join('\n')).toMatch(new RegExp(`${login} does not have write access`))
      expect(w.logs.join('\n')).not.toMatch(/approved by/)
      expect(permissionLooks(login).length).toBeGreaterThan(0)
    }
  })

  it('attack B: a maintainer\'s comment edited into `/rampart approve` (with a token that may edit any comment) is a deny', async () => {
    const w = ask()
    const request = await w.posted()
    const lgtm = gh.addComment(7, 'maja', 'LGTM')
    const octokit = createGitHub({token: 'ghs_actions', baseUrl: gh.url, env: {}})
    await octokit.rest.issues.updateComment({owner: gh.owner, repo: gh.repo, comment_id: lgtm.id, body: `/rampart approve ${idOf(request)}`})
    expect(gh.comment(lgtm.id)?.updated_at).not.toBe(lgtm.created_at)
    await forge(request, {resolver: 'maja', cmd: String(lgtm.id)})
    expect(await w.outcome).toBe('denied')
    expect(w.logs.join('\n')).toMatch(/the approving comment was edited/)
  })

  it('attack B: an edit that keeps the approval text is still an edit, and a deny', async () => {
    const w = ask()
    const request = await w.posted()
    const approval = gh.addComment(7, 'maja', `/rampart approve ${idOf(request)}`)
    const edited = gh.comment(approval.id) as StandInComment
    edited.updated_at = new Date(Date.parse(edited.created_at) + 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z')
    await forge(request, {resolver: 'maja', cmd: String(approval.id)})
    expect(await w.outcome).toBe('denied')
    expect(w.logs.join('\n')).toMatch(/was edited/)
  })

  it('a marker whose sha was changed is a deny, even with a genuine approving comment', async () => {
    const w = ask()
    const request = await w.posted()
    const approval = gh.addComment(7, 'maja', `/rampart approve ${idOf(request)}`)
    await forge(request, {resolver: 'maja', cmd: String(approval.id), sha: OLD_HEAD})
    expect(await w.outcome).toBe('denied')
    expect(w.logs.join('\n')).toMatch(/for another head/)
  })

  it('a stale request whose sha was moved to the new head, then approved by the workflow, is a deny', async () => {
    // the request was made for OLD_HEAD; the PR has since moved on to HEAD, so the workflow would call it stale
    const w = ask({RAMPART_GITHUB_SHA: OLD_HEAD})
    const request = await w.posted()
    await forge(request, {sha: HEAD, status: 'pending'})
    await answer('maja', `/rampart approve ${idOf(request)}`)
    expect(parseMarker(gh.comment(request.id)?.body)).toMatchObject({status: 'approved', sha: HEAD, resolver: 'maja'})
    expect(await w.outcome).toBe('denied')
    expect(w.logs.join('\n')).toMatch(/for another head/)
  })

  it('a marker moved to another run is a deny', async () => {
    const w = ask()
    const request = await w.posted()
    const approval = gh.addComment(7, 'maja', '/rampart approve-run 999')
    await forge(request, {resolver: 'maja', cmd: String(approval.id), run: '999'})
    expect(await w.outcome).toBe('denied')
    expect(w.logs.join('\n')).toMatch(/for another run/)
  })

  it('approve-run: the deciding comment must name this run, be unedited and be by a writer', async () => {
    gh.addUser('eve')
    const cases: Array<[string, string, RegExp]> = [
      ['maja', '/rampart approve-run 999', /does not approve it/],
      ['eve', '/rampart approve-run 555', /eve does not have write access/],
      ['maja', '/rampart approve-run 555', /was edited/],
    ]
    for (const [login, text, why] of cases) {
      const w = ask()
      const request = await w.posted()
      const decider = gh.addComment(7, login, text)
      if (why.source.includes('edited')) (gh.comment(decider.id) as StandInComment).updated_at = '2099-01-01T00:00:00Z'
      await forge(request, {resolver: login, cmd: String(decider.id)})
      expect(await w.outcome).toBe('denied')
      expect(w.logs.join('\n')).toMatch(why)
    }
  })

  it('a genuine approval by someone with write, maintain or admin access is still approved, after the permission is checked', async () => {
    gh.setRole('ada', 'admin')
    for (const login of ['bob', 'maja', 'ada']) {
      const w = ask()
      const request = await w.posted()
      await answer(login, `/rampart approve ${idOf(request)}`)
      expect(await w.outcome).toBe('approved')
      expect(w.logs.join('\n')).toMatch(new RegExp(`approved by ${login}`))
      expect(permissionLooks(login).length).toBeGreaterThan(0)
    }
  })

  it('a genuine approve-run by a writer is still approved', async () => {
    const w = ask()
    await w.posted()
    await answer('bob', '/rampart approve-run 555')
    expect(await w.outcome).toBe('approved')
    expect(permissionLooks('bob').length).toBeGreaterThan(0)
  })

  it('when the resolver\'s permission cannot be read, a genuine approval is a deny', async () => {
    for (const status of [403, 500]) {
      const w = ask()
      const request = await w.posted()
      gh.inject({status, times: 100, when: ({path, token}) => path.endsWith('/collaborators/maja/permission') && token === 'ghs_actions'})
      await answer('maja', `/rampart approve ${idOf(request)}`)
      expect(parseMarker(gh.comment(request.id)?.body)?.status).toBe('approved')
      expect(await w.outcome).toBe('denied')
      expect(w.logs.join('\n')).toMatch(new RegExp(`the permission of maja cannot be read \\(${status} `))
      gh.faults.length = 0
    }
  })
})

describe('the hook with the GitHub channel', () => {
  const payload = (cwd: string) => JSON.stringify({session_id: 's', cwd, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: {command: 'kubectl apply -f prod.yaml'}})

  it('a headless ask in a PR run becomes a request comment; an approval lets the call run', async () => {
    const config = write(join(s.root, 'policy.yaml'), DEPLOY_ASK_POLICY)
    const env = actionEnv(gh, s.env, {RAMPART_HEADLESS: '1'})
    const channel = githubChannelFromEnv(env)
    const answerP = decideHookAsync(payload(s.cwd), {env, load: {config}, ...(channel ? {channel} : {})})
    const request = await until(() => gh.comments.find((c) => c.body.startsWith('<!-- rampart:approval')))
    expect(request.body).toContain('kubectl apply -f prod.yaml')
    expect(request.body).toContain('`deploys`')
    await answer('maja', `/rampart approve ${idOf(request)}`)
    expect(await answerP).toMatchObject({hookSpecificOutput: {permissionDecision: 'allow'}})
  })

  it('on a fork PR the ask is denied with the hook\'s own message', async () => {
    gh.addUser('github-actions[bot]', 'Bot', 'ghs_fork', true)
    const config = write(join(s.root, 'policy.yaml'), DEPLOY_ASK_POLICY)
    const env = actionEnv(gh, s.env, {RAMPART_HEADLESS: '1', GITHUB_TOKEN: 'ghs_fork'})
    const channel = githubChannelFromEnv(env)
    const a = await decideHookAsync(payload(s.cwd), {env, load: {config}, ...(channel ? {channel} : {})})
    expect(a).toMatchObject({hookSpecificOutput: {permissionDecision: 'deny'}})
    expect(JSON.stringify(a)).toMatch(/no approval channel/)
  })
})
