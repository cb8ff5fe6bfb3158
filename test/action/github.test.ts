import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {createGitHub, rateLimitWait, retryDelay} from '../../src/action/github.js'
import {GitHubStandIn} from './stand-in.js'

let gh: GitHubStandIn
beforeEach(async () => {
  gh = await GitHubStandIn.start()
  gh.setHead(7, 'f'.repeat(40))
})
afterEach(async () => gh.close())

const client = (over: Parameters<typeof createGitHub>[0] extends infer O ? Partial<O> : never = {}) => {
  const logs: string[] = []
  const octokit = createGitHub({token: 'ghs_actions', baseUrl: gh.url, backoffMs: 5, env: {}, log: (m) => logs.push(m), ...over})
  return {octokit, logs}
}
const getPull = (o: ReturnType<typeof client>['octokit']) => o.rest.pulls.get({owner: gh.owner, repo: gh.repo, pull_number: 7})
const pullRequests = () => gh.requestsTo('GET', /\/pulls\/7$/)

describe('the GitHub client', () => {
  it('retries a 5xx with backoff and succeeds', async () => {
    gh.inject({status: 502, times: 2})
    const {octokit, logs} = client()
    expect((await getPull(octokit)).data.head.sha).toBe('f'.repeat(40))
    expect(pullRequests().map((r) => r.status)).toEqual([502, 502, 200])
    expect(logs.join('\n')).toMatch(/502.*try 2 of 4/)
  })

  it('gives up after four tries', async () => {
    gh.inject({status: 500, times: 10})
    await expect(getPull(client().octokit)).rejects.toMatchObject({status: 500})
    expect(pullRequests()).toHaveLength(4)
  })

  it('retries 408, 409 and 429, but not 401, 403, 404 or 422', async () => {
    for (const status of [408, 409, 429]) gh.inject({status})
    const {octokit} = client()
    expect((await getPull(octokit)).status).toBe(200)
    expect(pullRequests().map((r) => r.status)).toEqual([408, 409, 429, 200])
    for (const status of [401, 403, 404, 422]) {
      gh.requests.length = 0
      gh.inject({status})
      await expect(getPull(octokit)).rejects.toMatchObject({status})
      expect(pullRequests()).toHaveLength(1)
    }
  })

  it('a bad token is a 401 at once', async () => {
    await expect(getPull(client({token: 'nope'}).octokit)).rejects.toMatchObject({status: 401})
    expect(pullRequests()).toHaveLength(1)
  })

  it('times out a slow answer and tries again', async () => {
    gh.inject({delayMs: 1500})
    const {octokit, logs} = client({timeoutMs: 150})
    const started = Date.now()
    expect((await getPull(octokit)).status).toBe(200)
    expect(Date.now() - started).toBeLessThan(1400)
    expect(pullRequests()).toHaveLength(2)
    expect(logs.join('\n')).toMatch(/timeout|abort/i)
  })

  it('the timeout comes from RAMPART_GITHUB_TIMEOUT_MS when not given', async () => {
    gh.inject({delayMs: 1500})
    const octokit = createGitHub({token: 'ghs_actions', baseUrl: gh.url, env: {RAMPART_GITHUB_TIMEOUT_MS: '150', RAMPART_GITHUB_BACKOFF_MS: '5'}})
    const started = Date.now()
    expect((await getPull(octokit)).status).toBe(200)
    expect(Date.now() - started).toBeLessThan(1400)
  })

  it('retries a dropped connection', async () => {
    gh.inject({reset: true})
    expect((await getPull(client().octokit)).status).toBe(200)
    expect(pullRequests()).toHaveLength(2)
  })

  it('a 403 rate limit waits for x-ratelimit-reset, then succeeds', async () => {
    gh.rateLimit(1)
    const started = Date.now()
    expect((await getPull(client().octokit)).status).toBe(200)
    const [limited, ok] = pullRequests()
    expect(limited?.status).toBe(403)
    expect(ok?.status).toBe(200)
    // the reset is a whole second: the retry comes after it, not after the 5 ms backoff
    expect((ok?.at ?? 0) - started).toBeGreaterThanOrEqual(250)
    expect(Math.floor((ok?.at ?? 0) / 1000)).toBeGreaterThanOrEqual(Math.floor(started / 1000) + 1)
  })

  it('a rate limit that resets later than the cap fails instead of retrying into it', async () => {
    gh.rateLimit(3600)
    const {octokit, logs} = client({maxRateLimitWaitMs: 1000})
    await expect(getPull(octokit)).rejects.toMatchObject({status: 403})
    expect(pullRequests()).toHaveLength(1)
    expect(logs.join('\n')).toMatch(/rate limit/)
  })

  it('honours retry-after on a secondary rate limit', async () => {
    gh.inject({status: 403, headers: {'retry-after': '1'}, body: {message: 'You have exceeded a secondary rate limit.'}})
    const started = Date.now()
    expect((await getPull(client().octokit)).status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
  })

  it('paginates past 100 comments with per_page=100 and the Link header', async () => {
    for (let i = 0; i < 250; i++) gh.addComment(7, 'maja', `comment ${i}`)
    const {octokit} = client()
    const all = await octokit.paginate(octokit.rest.issues.listComments, {owner: gh.owner, repo: gh.repo, issue_number: 7, per_page: 100})
    expect(all).toHaveLength(250)
    expect(all.at(-1)?.body).toBe('comment 249')
    expect(gh.requestsTo('GET', /\/issues\/7\/comments$/).map((r) => r.query.get('page') ?? '1')).toEqual(['1', '2', '3'])
  })

  it('answers 304 to a matching If-None-Match without retrying', async () => {
    const c = gh.addComment(7, 'maja', 'hello')
    const {octokit} = client()
    const first = await octokit.rest.issues.getComment({owner: gh.owner, repo: gh.repo, comment_id: c.id})
    const etag = first.headers.etag as string
    await expect(octokit.rest.issues.getComment({owner: gh.owner, repo: gh.repo, comment_id: c.id, headers: {'if-none-match': etag}})).rejects.toMatchObject({status: 304})
    expect(gh.requestsTo('GET', /\/issues\/comments\/\d+$/).map((r) => r.status)).toEqual([200, 304])
  })
})

describe('retry decisions', () => {
  const err = (status: number | undefined, headers: Record<string, string> = {}, name = 'HttpError') => ({status, name, response: {headers}})
  it('backs off exponentially', () => {
    const d = [1, 2, 3].map((a) => retryDelay(err(503), a, 1000) as number)
    expect(d[0]).toBeGreaterThanOrEqual(750)
    expect(d[0]).toBeLessThanOrEqual(1250)
    expect(d[1]).toBeGreaterThanOrEqual(1500)
    expect(d[2]).toBeGreaterThanOrEqual(3000)
  })

  it('reads the rate-limit reset and retry-after', () => {
    const now = 1_750_000_000_000
    expect(rateLimitWait({'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 30)}, now)).toBe(30_250)
    expect(rateLimitWait({'x-ratelimit-remaining': '12', 'x-ratelimit-reset': String(now / 1000 + 30)}, now)).toBeUndefined()
    expect(rateLimitWait({'retry-after': '7'}, now)).toBe(7000)
    expect(retryDelay(err(403), 1, 1000)).toBeUndefined()
    expect(retryDelay(err(undefined, {}, 'TimeoutError'), 1, 10)).toBeGreaterThan(0)
    expect(retryDelay(err(undefined, {}, 'SyntaxError'), 1, 10)).toBeUndefined()
  })
})
