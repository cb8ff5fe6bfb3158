import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {newApprovalId, parseMarker, renderRequest, USAGE} from '../../src/action/protocol.js'
import {sandbox} from '../helpers.js'
import {actionEnv, auditEvents, GitHubStandIn, HEAD, OLD_HEAD, runBundled, type StandInComment} from './stand-in.js'

let gh: GitHubStandIn
let s: ReturnType<typeof sandbox>

beforeEach(async () => {
  gh = await GitHubStandIn.start()
  s = sandbox()
  gh.setHead(7, HEAD)
  gh.setHead(8, HEAD)
  gh.setRole('alice', 'write') // started run 555: the requester
  gh.setRole('bob', 'write')
  gh.setRole('maja', 'maintain')
  gh.setRole('wes', 'admin')
  gh.setRole('rene', 'read')
  gh.setRole('tia', 'triage')
  gh.addUser('drive-by')
})
afterEach(async () => gh.close())

interface RequestOptions {
  id?: string
  sha?: string
  run?: string
  pr?: number
  by?: string[]
  author?: string
}

/** A request comment as the waiting hook posts it. */
function request(o: RequestOptions = {}): {id: string; comment: StandInComment} {
  const id = o.id ?? newApprovalId()
  const body = renderRequest({
    id, sha: o.sha ?? HEAD, run: o.run ?? '555', requesters: o.by ?? ['alice'],
    call: {tool: 'exec', command: 'kubectl apply -f prod.yaml', agent: 'claude-code', session: 'widgets/agent-tidy'},
    decision: {message: 'Production deployment requires approval', decided_by: null, matched_policies: ['deploys']},
    expiresAt: new Date(Date.now() + 30 * 60_000),
  })
  return {id, comment: gh.addComment(o.pr ?? 7, o.author ?? 'github-actions[bot]', body)}
}

interface AnswerOptions {
  pr?: number
  action?: 'created' | 'edited' | 'deleted'
  inputs?: Record<string, string>
  env?: Record<string, string | undefined>
  onPullRequest?: boolean
}

/**
 * A reply comment on the PR, and the approve job that the comment triggers, run as the runner runs it: the bundled
 * entry point (dist/action/index.cjs) with INPUT_* variables, the event file and the runner's command files.
 */
async function answer(login: string, body: string, o: AnswerOptions = {}) {
  const comment = gh.addComment(o.pr ?? 7, login, body)
  const file = gh.eventFile(s.root, comment, o.action ?? 'created', o.onPullRequest ?? true)
  const env = actionEnv(gh, s.env, {GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: file, GITHUB_ACTOR: login, ...o.env})
  const inputs = {mode: 'approve', ...o.inputs}
  return {...(await runBundled(env, inputs, s.root)), comment}
}

const markerOf = (c: StandInComment) => parseMarker(gh.comment(c.id)?.body)
const replies = (pr = 7) => gh.commentsOn(pr).filter((c) => c.user.login === 'github-actions[bot]' && !/^(<!-- rampart:approval|\/rampart)/.test(c.body)).map((c) => c.body)
const reactionsOn = (c: StandInComment) => gh.reactions.filter((r) => r.commentId === c.id).map((r) => r.content)

describe('mode: approve — granting', () => {
  it('a writer approves: the request is edited in place, 👀 then 👍, and the resolution is audited', async () => {
    const r = request()
    const a = await answer('maja', `/rampart approve ${r.id}`)
    expect(a.failures).toEqual([])
    expect(a.outputs).toEqual({result: 'approved'})
    expect(markerOf(r.comment)).toMatchObject({id: r.id, status: 'approved', resolver: 'maja', cmd: String(a.comment.id)})
    const body = gh.comment(r.comment.id)?.body ?? ''
    expect(body).toContain('### ✅ Rampart: approved')
    expect(body).toMatch(/Approved by @maja on \d{4}-\d\d-\d\d \d\d:\d\d UTC\./)
    expect(body).not.toContain('**To approve**')
    expect(reactionsOn(a.comment)).toEqual(['eyes', '+1'])
    expect(replies()).toEqual([])
    const events = auditEvents(s.rampartHome)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      tool: 'exec', agent: 'claude-code', session: 'widgets/agent-tidy',
      request: {command: 'kubectl apply -f prod.yaml', approval_id: r.id, pull_request: 'octo-org/widgets#7', workflow_run: '555'},
      decision: {action: 'ask', resolved: 'approved', resolved_by: 'github:maja', matched_policies: ['deploys'], message: 'Production deployment requires approval'},
    })
    expect(a.summary.join('')).toContain(`Approved \`${r.id}\` for @maja`)
  })

  it('backticks, case and a second line do not matter; admins may answer too', async () => {
    const r = request()
    await answer('wes', `\`/Rampart APPROVE ${r.id.toLowerCase()}\`\n\nShip it.`)
    expect(markerOf(r.comment)?.status).toBe('approved')
  })

  it('a deny keeps its reason, reacts 👎 and is audited as denied', async () => {
    const r = request()
    const a = await answer('bob', `/rampart deny ${r.id} not during the <b>freeze</b>`)
    expect(markerOf(r.comment)).toMatchObject({status: 'denied', resolver: 'bob'})
    expect(gh.comment(r.comment.id)?.body).toContain('Denied by @bob on')
    expect(gh.comment(r.comment.id)?.body).toContain('Reason: not during the &lt;b&gt;freeze&lt;/b&gt;')
    expect(reactionsOn(a.comment)).toEqual(['eyes', '-1'])
    expect(a.outputs).toEqual({result: 'denied'})
    expect(auditEvents(s.rampartHome)[0]?.decision).toMatchObject({resolved: 'denied', resolved_by: 'github:bob', message: 'Production deployment requires approval — denied: not during the <b>freeze</b>'})
  })

  it('the requester may deny their own request (denying is always safe)', async () => {
    const r = request()
    await answer('alice', `/rampart deny ${r.id}`)
    expect(markerOf(r.comment)?.status).toBe('denied')
  })

  it('finds the request among more than 100 comments (pagination)', async () => {
    for (let i = 0; i < 130; i++) gh.addComment(7, i % 2 ? 'bob' : 'drive-by', `review note ${i}`)
    const r = request()
    for (let i = 0; i < 40; i++) gh.addComment(7, 'bob', `later note ${i}`)
    const a = await answer('maja', `/rampart approve ${r.id}`)
    expect(a.failures).toEqual([])
    expect(markerOf(r.comment)?.status).toBe('approved')
    const pages = gh.requestsTo('GET', /\/issues\/7\/comments$/).map((q) => [q.query.get('per_page'), q.query.get('page') ?? '1'])
    expect(pages).toEqual([['100', '1'], ['100', '2']])
  })

  it('approve-run approves every pending request of that run, and only those that can be approved', async () => {
    const first = request()
    const second = request()
    const stale = request({sha: OLD_HEAD})
    const otherRun = request({run: '556'})
    const done = request()
    await answer('bob', `/rampart deny ${done.id}`)
    const a = await answer('maja', '/rampart approve-run 555')
    expect(a.failures).toEqual([])
    expect(markerOf(first.comment)).toMatchObject({status: 'approved', resolver: 'maja', cmd: String(a.comment.id)})
    expect(markerOf(second.comment)?.status).toBe('approved')
    expect(gh.comment(first.comment.id)?.body).toContain('(all pending requests of run 555)')
    expect(markerOf(stale.comment)?.status).toBe('pending')
    expect(markerOf(otherRun.comment)?.status).toBe('pending')
    expect(markerOf(done.comment)?.status).toBe('denied')
    const [text] = replies().slice(-1)
    expect(text).toContain(`@maja approved 2 requests of workflow run 555: \`${first.id}\`, \`${second.id}\`.`)
    expect(text).toContain(`Stale (made for an older head than \`${HEAD.slice(0, 12)}\`), not approved: \`${stale.id}\`.`)
    expect(reactionsOn(a.comment)).toEqual(['eyes', '+1'])
    expect(auditEvents(s.rampartHome).filter((e) => e.decision.resolved === 'approved')).toHaveLength(2)
  })

  it('approve-run by the requester approves nothing of their own run', async () => {
    const mine = request()
    await answer('alice', '/rampart approve-run 555')
    expect(markerOf(mine.comment)?.status).toBe('pending')
    expect(replies().at(-1)).toContain(`Requested by a run you started, so someone else has to approve: \`${mine.id}\`.`)
  })

  it('approve-run of a run with nothing pending says so', async () => {
    request()
    await answer('maja', '/rampart approve-run 999')
    expect(replies()).toEqual(['@maja there are no Rampart approval requests of workflow run 999 on this pull request; nothing changed.'])
  })
})

describe('mode: approve — refusals and bad input (nothing is approved by mistake)', () => {
  it('a reader is refused with a reply', async () => {
    const r = request()
    const a = await answer('rene', `/rampart approve ${r.id}`)
    expect(a.failures).toEqual([])
    expect(markerOf(r.comment)?.status).toBe('pending')
    expect(replies()).toEqual(['@rene only people with write access to this repository can answer Rampart approvals; nothing changed.'])
    expect(a.outputs).toEqual({result: 'refused'})
    expect(reactionsOn(a.comment)).toEqual(['eyes'])
    expect(gh.requestsTo('GET', /\/collaborators\/rene\/permission$/)).toHaveLength(1)
    expect(auditEvents(s.rampartHome)).toEqual([])
  })

  it('triage is not write access either', async () => {
    const r = request()
    await answer('tia', `/rampart approve ${r.id}`)
    expect(markerOf(r.comment)?.status).toBe('pending')
  })

  it('someone without a collaborator association is refused without asking the API', async () => {
    const r = request()
    await answer('drive-by', `/rampart approve ${r.id}`)
    expect(markerOf(r.comment)?.status).toBe('pending')
    expect(gh.requestsTo('GET', /\/permission$/)).toEqual([])
    expect(replies()[0]).toMatch(/only people with write access/)
  })

  it('a writer whose permission cannot be read (API error) is not authorised', async () => {
    const r = request()
    gh.inject({status: 500, times: 10, when: ({path}) => path.endsWith('/permission')})
    await answer('maja', `/rampart approve ${r.id}`)
    expect(markerOf(r.comment)?.status).toBe('pending')
    expect(replies()[0]).toMatch(/only people with write access/)
  })

  it('no self-approval: the one who started the run (or re-ran it) cannot approve', async () => {
    const r = request({by: ['alice', 'Bob']})
    await answer('alice', `/rampart approve ${r.id}`)
    await answer('bob', `/rampart approve ${r.id}`)
    expect(markerOf(r.comment)?.status).toBe('pending')
    expect(replies()).toEqual([
      `@alice you started the run that asked for \`${r.id}\`, so someone else has to approve it; nothing changed.`,
      `@bob you started the run that asked for \`${r.id}\`, so someone else has to approve it; nothing changed.`,
    ])
  })

  it('an edited comment is ignored entirely: no reply, no reaction, no API call', async () => {
    const r = request()
    const a = await answer('maja', `/rampart approve ${r.id}`, {action: 'edited'})
    expect(markerOf(r.comment)?.status).toBe('pending')
    expect(gh.requests).toEqual([])
    expect(a.infos.join('\n')).toMatch(/edited; only new comments/)
    expect(a.outputs).toEqual({result: 'ignored'})
    expect(a.failures).toEqual([])
  })

  it('comments by bots are ignored — the action\'s own account included — without a reply', async () => {
    const r = request()
    gh.setRole('renovate[bot]', 'write')
    for (const bot of ['github-actions[bot]', 'renovate[bot]']) {
      const a = await answer(bot, `/rampart approve ${r.id}`)
      expect(a.infos.join('\n')).toMatch(/is a bot/)
    }
    gh.addUser('ci-robot', 'Bot')
    await answer('ci-robot', `/rampart approve ${r.id}`)
    expect(markerOf(r.comment)?.status).toBe('pending')
    expect(replies()).toEqual([])
    expect(gh.reactions).toEqual([])
  })

  it('a stale request (the PR head moved) is refused with a reply', async () => {
    const r = request({sha: OLD_HEAD})
    const a = await answer('maja', `/rampart approve ${r.id}`)
    expect(markerOf(r.comment)?.status).toBe('pending')
    expect(replies()).toEqual([`@maja request \`${r.id}\` was made for commit \`${OLD_HEAD.slice(0, 12)}\`, but the head of this pull request is now \`${HEAD.slice(0, 12)}\`: the request is stale and cannot be answered. The agent has to ask again.`])
    expect(a.failures).toEqual([])
  })

  it.each([
    ['no id', '/rampart approve', 'approve needs the request id'],
    ['extra text after the id', '/rampart approve ID please', 'approve takes the id and nothing else (to give a reason, deny)'],
    ['an unknown verb', '/rampart aprove ID', '"aprove" is not a Rampart command'],
    ['nothing at all', '/rampart', 'no command after /rampart'],
  ])('a malformed command (%s) gets the usage in a reply', async (_name, text, problem) => {
    const r = request()
    const a = await answer('maja', text.replace('ID', r.id))
    expect(markerOf(r.comment)?.status).toBe('pending')
    expect(replies()).toEqual([`@maja ${problem}.\n\n${USAGE}`])
    expect(reactionsOn(a.comment)).toEqual(['eyes'])
    expect(auditEvents(s.rampartHome)).toEqual([])
  })

  it('an unknown id is refused with a reply', async () => {
    const r = request()
    await answer('maja', '/rampart approve 01JZZZZZZZZZZZZZZZZZZZZZZZ')
    expect(markerOf(r.comment)?.status).toBe('pending')
    expect(replies()).toEqual(['@maja there is no Rampart approval request `01JZZZZZZZZZZZZZZZZZZZZZZZ` on this pull request (an id answers only on the pull request where it was asked); nothing changed.'])
  })

  it('an id from another PR is unknown here, and the other PR\'s request stays pending', async () => {
    const elsewhere = request({pr: 8})
    await answer('maja', `/rampart approve ${elsewhere.id}`, {pr: 7})
    expect(markerOf(elsewhere.comment)?.status).toBe('pending')
    expect(replies(7)[0]).toMatch(/there is no Rampart approval request/)
    expect(replies(8)).toEqual([])
  })

  it('an already resolved id is not resolved again', async () => {
    const r = request()
    await answer('maja', `/rampart approve ${r.id}`)
    const before = gh.comment(r.comment.id)?.body
    const again = await answer('wes', `/rampart deny ${r.id} changed my mind`)
    expect(gh.comment(r.comment.id)?.body).toBe(before)
    expect(replies().at(-1)).toMatch(new RegExp(`^@wes request \`${r.id}\` is already approved by @maja \\(\\d{4}-.*Z\\); nothing changed\\.$`))
    expect(reactionsOn(again.comment)).toEqual(['eyes'])
    expect(auditEvents(s.rampartHome)).toHaveLength(1)
  })

  it('a request comment forged by a person is not a request', async () => {
    const real = request({by: ['alice']})
    // the same id, but claiming someone else asked: self-approval must still be caught on the real one
    const forged = gh.addComment(7, 'drive-by', renderRequest({
      id: real.id, sha: HEAD, run: '555', requesters: ['nobody'], call: {tool: 'exec', command: 'true'},
      decision: {message: 'x', decided_by: null, matched_policies: []}, expiresAt: new Date(),
    }))
    await answer('alice', `/rampart approve ${real.id}`)
    expect(markerOf(real.comment)?.status).toBe('pending')
    expect(markerOf(forged)?.status).toBe('pending')
    const onlyForged = gh.addComment(7, 'drive-by', (gh.comment(forged.id)?.body ?? '').replaceAll(real.id, '01JF0RGED00000000000000000'))
    await answer('maja', '/rampart approve 01JF0RGED00000000000000000')
    expect(markerOf(onlyForged)?.status).toBe('pending')
    expect(replies().at(-1)).toMatch(/there is no Rampart approval request/)
  })

  it('requests posted with a personal token count when its login is the request-author input', async () => {
    gh.addUser('rampart-bot', 'User', 'ghp_rampart')
    const r = request({author: 'rampart-bot'})
    await answer('maja', `/rampart approve ${r.id}`)
    expect(markerOf(r.comment)?.status).toBe('pending')
    const a = await answer('maja', `/rampart approve ${r.id}`, {inputs: {'request-author': 'rampart-bot'}})
    expect(a.failures).toEqual([])
    expect(markerOf(r.comment)?.status).toBe('approved')
  })

  it('comments that are not commands, and comments on issues, are not ours: silence', async () => {
    const r = request()
    await answer('maja', 'LGTM, thanks!')
    await answer('maja', `please /rampart approve ${r.id}`)
    await answer('maja', `/rampart approve ${r.id}`, {onPullRequest: false})
    expect(markerOf(r.comment)?.status).toBe('pending')
    expect(gh.requests).toEqual([])
  })

  it('an audit trail that cannot be written fails the job and approves nothing', async () => {
    const r = request()
    const blocked = join(s.root, 'not-a-folder')
    writeFileSync(blocked, 'x')
    const a = await answer('maja', `/rampart approve ${r.id}`, {env: {RAMPART_HOME: blocked}})
    expect(a.failures[0]).toMatch(/cannot write the audit trail/)
    expect(a.outputs).toEqual({})
    expect(markerOf(r.comment)?.status).toBe('pending')
  })

  it('a request that cannot be edited fails the job', async () => {
    const r = request()
    gh.inject({status: 500, times: 10, when: ({path}) => path.endsWith(`/issues/comments/${r.comment.id}`)})
    const a = await answer('maja', `/rampart approve ${r.id}`)
    expect(a.failures[0]).toMatch(/^rampart approve: 500/)
    expect(markerOf(r.comment)?.status).toBe('pending')
  })

  it('another event, or no event file, is reported rather than guessed at', async () => {
    const other = await runBundled({...actionEnv(gh, s.env), GITHUB_EVENT_NAME: 'pull_request'}, {mode: 'approve'}, s.root)
    expect(other.infos[0]).toMatch(/answers issue_comment events; this is pull_request/)
    expect(other.failures).toEqual([])
    const none = await runBundled({...actionEnv(gh, s.env), GITHUB_EVENT_NAME: 'issue_comment'}, {mode: 'approve'}, s.root)
    expect(none.failures[0]).toMatch(/GITHUB_EVENT_PATH is not set/)
  })
})
