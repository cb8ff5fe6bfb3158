import {createHash} from 'node:crypto'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'

/**
 * A local stand-in for the GitHub REST API: exactly the endpoints the action uses, with payloads shaped like
 * GitHub's (comments, pagination with Link headers, ETags and 304s, reactions, collaborator permission, pull
 * request heads, rate-limit headers), plus fault injection. It listens on 127.0.0.1 only.
 */

export type Role = 'admin' | 'maintain' | 'write' | 'triage' | 'read'

export interface StandInUser {
  login: string
  id: number
  type: 'User' | 'Bot'
}

export interface StandInComment {
  id: number
  issue: number
  body: string
  user: StandInUser
  created_at: string
  updated_at: string
  author_association: string
}

export interface Reaction {
  commentId: number
  content: string
  user: string
}

export interface LoggedRequest {
  method: string
  path: string
  query: URLSearchParams
  status: number
  at: number
  ifNoneMatch?: string
  body?: unknown
  token?: string
}

export interface Fault {
  status?: number
  headers?: Record<string, string>
  body?: unknown
  /** Served after this pause (with `status`), or the normal answer after it (without): a slow API. */
  delayMs?: number
  /** Destroy the connection instead of answering: a network error. */
  reset?: boolean
  /** How many matching requests it applies to (default 1). */
  times?: number
  /** Which requests it hits; `token` tells apart two jobs that call the same endpoint. */
  when?: ((r: {method: string; path: string; token: string | undefined}) => boolean) | undefined
}

const API_VERSION = '2022-11-28'
const REACTIONS = ['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes']
const FAULT_MESSAGES: Record<number, string> = {401: 'Bad credentials', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout', 409: 'Conflict', 429: 'Too Many Requests', 502: 'Bad Gateway', 503: 'Service Unavailable'}
const ROLE_PERMISSION: Record<Role, string> = {admin: 'admin', maintain: 'write', write: 'write', triage: 'read', read: 'read'}

export class GitHubStandIn {
  readonly owner = 'octo-org'
  readonly repo = 'widgets'
  url = ''
  readonly users = new Map<string, StandInUser>()
  readonly tokens = new Map<string, {login: string; readOnly: boolean}>()
  readonly roles = new Map<string, Role>()
  readonly heads = new Map<number, string>()
  readonly comments: StandInComment[] = []
  readonly reactions: Reaction[] = []
  readonly requests: LoggedRequest[] = []
  readonly faults: Fault[] = []
  rateRemaining = 5000
  private nextId = 2_000_000_001
  private nextUserId = 9001
  private clock = Date.parse('2025-06-02T09:00:00Z')
  private server: Server | undefined

  static async start(): Promise<GitHubStandIn> {
    const s = new GitHubStandIn()
    s.server = createServer((req, res) => {
      s.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) s.send(res, 500, {message: `stand-in error: ${(error as Error).message}`})
      })
    })
    await new Promise<void>((resolve) => s.server?.listen(0, '127.0.0.1', resolve))
    s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`
    s.addUser('github-actions[bot]', 'Bot', 'ghs_actions')
    return s
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => this.server?.close(() => resolve()))
  }

  addUser(login: string, type: 'User' | 'Bot' = 'User', token?: string, readOnly = false): StandInUser {
    const user = this.users.get(login.toLowerCase()) ?? {login, id: this.nextUserId++, type}
    this.users.set(login.toLowerCase(), user)
    if (token) this.tokens.set(token, {login, readOnly})
    return user
  }

  setRole(login: string, role: Role): void {
    this.addUser(login)
    this.roles.set(login.toLowerCase(), role)
  }

  setHead(pr: number, sha: string): void {
    this.heads.set(pr, sha)
  }

  /** Timestamps advance one second per comment, so order is visible in created_at as on GitHub. */
  private now(): string {
    this.clock = Math.max(this.clock + 1000, Math.floor(Date.now() / 1000) * 1000)
    return new Date(this.clock).toISOString().replace(/\.\d{3}Z$/, 'Z')
  }

  addComment(pr: number, login: string, body: string, association?: string): StandInComment {
    const user = this.users.get(login.toLowerCase()) ?? this.addUser(login, login.endsWith('[bot]') ? 'Bot' : 'User')
    const at = this.now()
    const c: StandInComment = {id: this.nextId++, issue: pr, body, user, created_at: at, updated_at: at, author_association: association ?? this.association(user)}
    this.comments.push(c)
    return c
  }

  comment(id: number): StandInComment | undefined {
    return this.comments.find((c) => c.id === id)
  }

  commentsOn(pr: number): StandInComment[] {
    return this.comments.filter((c) => c.issue === pr)
  }

  inject(fault: Fault): void {
    this.faults.push({times: 1, ...fault})
  }

  /** The next matching request is refused as over the rate limit, with a reset `resetInSeconds` from now. */
  rateLimit(resetInSeconds: number, when?: Fault['when']): void {
    this.inject({
      status: 403, when,
      headers: {'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-resource': 'core', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + resetInSeconds)},
      body: {message: 'API rate limit exceeded for installation ID 4242.', documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting', status: '403'},
    })
  }

  /** An `issue_comment` event payload as the runner writes it to GITHUB_EVENT_PATH, saved in `dir`. */
  eventFile(dir: string, comment: StandInComment, action: 'created' | 'edited' | 'deleted' = 'created', onPullRequest = true): string {
    const file = join(dir, `event-${comment.id}-${action}.json`)
    const payload = {
      action,
      ...(action === 'edited' ? {changes: {body: {from: 'an earlier text'}}} : {}),
      issue: {
        url: `${this.url}/repos/${this.owner}/${this.repo}/issues/${comment.issue}`,
        html_url: `https://github.com/${this.owner}/${this.repo}/${onPullRequest ? 'pull' : 'issues'}/${comment.issue}`,
        number: comment.issue, title: 'Let the agent tidy the build', state: 'open', locked: false,
        user: this.userPayload(this.users.get('github-actions[bot]') as StandInUser),
        ...(onPullRequest ? {pull_request: {url: `${this.url}/repos/${this.owner}/${this.repo}/pulls/${comment.issue}`, html_url: `https://github.com/${this.owner}/${this.repo}/pull/${comment.issue}`, merged_at: null}} : {}),
      },
      comment: this.commentPayload(comment),
      repository: {id: 424242, name: this.repo, full_name: `${this.owner}/${this.repo}`, private: false, owner: {login: this.owner, type: 'Organization'}},
      sender: this.userPayload(comment.user),
    }
    writeFileSync(file, JSON.stringify(payload, null, 2))
    return file
  }

  requestsTo(method: string, pathPattern: RegExp): LoggedRequest[] {
    return this.requests.filter((r) => r.method === method && pathPattern.test(r.path))
  }

  private association(user: StandInUser): string {
    if (user.type === 'Bot') return 'NONE'
    if (user.login.toLowerCase() === this.owner.toLowerCase()) return 'OWNER'
    return this.roles.has(user.login.toLowerCase()) ? 'COLLABORATOR' : 'CONTRIBUTOR'
  }

  private userPayload(u: StandInUser): Record<string, unknown> {
    return {
      login: u.login, id: u.id, node_id: `MDQ6VXNlcj${u.id}`, avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`, gravatar_id: '',
      url: `${this.url}/users/${encodeURIComponent(u.login)}`, html_url: `https://github.com/${encodeURIComponent(u.login)}`, type: u.type, site_admin: false, user_view_type: 'public',
    }
  }

  private commentPayload(c: StandInComment): Record<string, unknown> {
    const counts = Object.fromEntries(REACTIONS.map((r) => [r, this.reactions.filter((x) => x.commentId === c.id && x.content === r).length]))
    return {
      url: `${this.url}/repos/${this.owner}/${this.repo}/issues/comments/${c.id}`,
      html_url: `https://github.com/${this.owner}/${this.repo}/pull/${c.issue}#issuecomment-${c.id}`,
      issue_url: `${this.url}/repos/${this.owner}/${this.repo}/issues/${c.issue}`,
      id: c.id, node_id: `IC_kwDO${c.id}`, user: this.userPayload(c.user), created_at: c.created_at, updated_at: c.updated_at,
      author_association: c.author_association, body: c.body,
      reactions: {url: `${this.url}/repos/${this.owner}/${this.repo}/issues/comments/${c.id}/reactions`, total_count: Object.values(counts).reduce((a, b) => a + b, 0), ...counts},
      performed_via_github_app: null,
    }
  }

  private rateHeaders(counted: boolean): Record<string, string> {
    if (counted && this.rateRemaining > 0) this.rateRemaining--
    return {
      'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': String(this.rateRemaining), 'x-ratelimit-used': String(5000 - this.rateRemaining),
      'x-ratelimit-resource': 'core', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
    }
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = body === undefined ? '' : JSON.stringify(body)
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8', 'x-github-api-version-selected': API_VERSION,
      'x-github-request-id': `STAND:${this.requests.length}`, ...this.rateHeaders(status !== 304), ...headers,
    })
    res.end(status === 304 ? undefined : text)
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url)
    const method = req.method ?? 'GET'
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    const log: LoggedRequest = {method, path: url.pathname, query: url.searchParams, status: 0, at: Date.now()}
    if (typeof req.headers['if-none-match'] === 'string') log.ifNoneMatch = req.headers['if-none-match']
    if (raw) log.body = JSON.parse(raw) as unknown
    this.requests.push(log)
    const answer = (status: number, body: unknown, headers?: Record<string, string>) => {
      log.status = status
      if (!res.destroyed) this.send(res, status, body, headers)
    }

    const auth = /^(?:token|bearer) (.+)$/i.exec(req.headers.authorization ?? '')
    const token = auth?.[1]
    if (token) log.token = token
    const fault = this.faults.find((f) => (f.times ?? 1) > 0 && (!f.when || f.when({method, path: url.pathname, token})))
    if (fault) {
      fault.times = (fault.times ?? 1) - 1
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs))
      if (fault.reset) {
        log.status = -1
        req.socket.destroy()
        return
      }
      if (fault.status) return answer(fault.status, fault.body ?? {message: FAULT_MESSAGES[fault.status] ?? (fault.status >= 500 ? 'Server Error' : 'Error'), status: String(fault.status)}, fault.headers)
      if (res.destroyed) return
    }

    const caller = token ? this.tokens.get(token) : undefined
    if (!caller) return answer(401, {message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401'})
    const me = this.users.get(caller.login.toLowerCase()) as StandInUser
    const repoPrefix = `/repos/${this.owner}/${this.repo}`
    if (!url.pathname.startsWith(repoPrefix + '/')) return answer(404, {message: 'Not Found', documentation_url: 'https://docs.github.com/rest'})
    const path = url.pathname.slice(repoPrefix.length)
    const input = (log.body ?? {}) as Record<string, unknown>
    const readOnly = () => answer(403, {message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment', status: '403'})
    const notFound = () => answer(404, {message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404'})
    let m: RegExpExecArray | null

    if ((m = /^\/pulls\/(\d+)$/.exec(path)) && method === 'GET') {
      const n = Number(m[1])
      const sha = this.heads.get(n)
      if (!sha) return notFound()
      return answer(200, {
        url: `${this.url}${repoPrefix}/pulls/${n}`, id: 1_000_000 + n, number: n, state: 'open', locked: false, title: 'Let the agent tidy the build',
        user: this.userPayload(me), draft: false, merged: false,
        head: {label: `${this.owner}:agent/tidy-${n}`, ref: `agent/tidy-${n}`, sha, repo: {full_name: `${this.owner}/${this.repo}`, fork: false}},
        base: {label: `${this.owner}:main`, ref: 'main', sha: '0'.repeat(40), repo: {full_name: `${this.owner}/${this.repo}`, fork: false}},
      })
    }
    if ((m = /^\/issues\/(\d+)\/comments$/.exec(path))) {
      const n = Number(m[1])
      if (method === 'GET') {
        const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30))
        const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1)
        const all = this.commentsOn(n)
        const last = Math.max(1, Math.ceil(all.length / perPage))
        const items = all.slice((page - 1) * perPage, page * perPage).map((c) => this.commentPayload(c))
        const link = (p: number, rel: string) => `<${this.url}${repoPrefix}/issues/${n}/comments?per_page=${perPage}&page=${p}>; rel="${rel}"`
        const links = [page > 1 ? link(page - 1, 'prev') : '', page < last ? link(page + 1, 'next') : '', page < last ? link(last, 'last') : '', page > 1 ? link(1, 'first') : ''].filter(Boolean)
        return this.conditional(req, answer, items, links.length > 0 ? {link: links.join(', ')} : {})
      }
      if (method === 'POST') {
        if (caller.readOnly) return readOnly()
        if (typeof input.body !== 'string' || input.body === '') return answer(422, {message: 'Validation Failed', errors: [{resource: 'IssueComment', code: 'missing_field', field: 'body'}], status: '422'})
        if (input.body.length > 65536) return answer(422, {message: 'Validation Failed', errors: [{resource: 'IssueComment', code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)'}], status: '422'})
        const c = this.addComment(n, me.login, input.body)
        return answer(201, this.commentPayload(c), {location: `${this.url}${repoPrefix}/issues/comments/${c.id}`})
      }
    }
    if ((m = /^\/issues\/comments\/(\d+)$/.exec(path))) {
      const c = this.comment(Number(m[1]))
      if (!c) return notFound()
      if (method === 'GET') return this.conditional(req, answer, this.commentPayload(c))
      if (method === 'PATCH') {
        if (caller.readOnly) return readOnly()
        const role = this.roles.get(me.login.toLowerCase())
        // an app installation token with write permission may edit anyone's comment; a person needs write access
        if (c.user.login !== me.login && me.type !== 'Bot' && role !== 'admin' && role !== 'maintain' && role !== 'write') return answer(403, {message: 'Must have admin rights to Repository.', status: '403'})
        if (typeof input.body !== 'string') return answer(422, {message: 'Validation Failed', status: '422'})
        c.body = input.body
        c.updated_at = this.now()
        return answer(200, this.commentPayload(c))
      }
    }
    if ((m = /^\/issues\/comments\/(\d+)\/reactions$/.exec(path)) && method === 'POST') {
      const c = this.comment(Number(m[1]))
      if (!c) return notFound()
      if (caller.readOnly) return readOnly()
      const content = String(input.content)
      if (!REACTIONS.includes(content)) return answer(422, {message: 'Validation Failed', status: '422'})
      const existing = this.reactions.find((r) => r.commentId === c.id && r.content === content && r.user === me.login)
      if (!existing) this.reactions.push({commentId: c.id, content, user: me.login})
      return answer(existing ? 200 : 201, {id: this.reactions.length, node_id: `REA_${this.reactions.length}`, user: this.userPayload(me), content, created_at: this.now()})
    }
    if ((m = /^\/collaborators\/([^/]+)\/permission$/.exec(path)) && method === 'GET') {
      const login = decodeURIComponent(m[1] as string)
      const user = this.users.get(login.toLowerCase())
      if (!user) return answer(404, {message: `${login} is not a user`, documentation_url: 'https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user', status: '404'})
      const role = this.roles.get(login.toLowerCase()) ?? 'read'
      return answer(200, {permission: ROLE_PERMISSION[role], role_name: role, user: {...this.userPayload(user), permissions: {admin: role === 'admin', maintain: role === 'admin' || role === 'maintain', push: ['admin', 'maintain', 'write'].includes(role), triage: role !== 'read', pull: true}, role_name: role}})
    }
    return notFound()
  }

  /** A GET answer with an ETag; a matching If-None-Match gets 304 (which GitHub does not count against the limit). */
  private conditional(req: IncomingMessage, answer: (s: number, b: unknown, h?: Record<string, string>) => void, body: unknown, headers: Record<string, string> = {}): void {
    const etag = `W/"${createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 32)}"`
    if (req.headers['if-none-match'] === etag) return answer(304, undefined, {etag, ...headers})
    return answer(200, body, {etag, ...headers})
  }
}

/** A host for runApprove that records what it is told, shaped like `@actions/core`. */
export interface FakeIO {
  io: {
    env: Record<string, string | undefined>
    getInput: (name: string) => string
    info: (m: string) => void
    warning: (m: string) => void
    setFailed: (m: string) => void
    summary: {addRaw(text: string): unknown; write(): Promise<unknown>}
    setOutput: (name: string, value: string) => void
  }
  outputs: Record<string, string>
  infos: string[]
  warnings: string[]
  failures: string[]
  summary: string[]
}

export function fakeIO(env: Record<string, string | undefined>, inputs: Record<string, string> = {}): FakeIO {
  const f: FakeIO = {
    infos: [], warnings: [], failures: [], summary: [], outputs: {},
    io: {
      env,
      getInput: (name) => inputs[name] ?? '',
      info: (m) => f.infos.push(m),
      warning: (m) => f.warnings.push(m),
      setFailed: (m) => f.failures.push(m),
      summary: {
        addRaw(text: string) {
          f.summary.push(text)
          return this
        },
        write: async () => undefined,
      },
      setOutput: (name, value) => {
        f.outputs[name] = value
      },
    },
  }
  return f
}

/** Every audit event under a RAMPART_HOME, oldest first. */
export function auditEvents(rampartHome: string): Array<Record<string, unknown> & {decision: Record<string, unknown>; request: Record<string, unknown>}> {
  const dir = join(rampartHome, 'audit')
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort()
    .flatMap((n) => readFileSync(join(dir, n), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as never))
}

export const HEAD = 'c0ffee0000000000000000000000000000000007'
export const OLD_HEAD = 'badc0de000000000000000000000000000000007'

/**
 * The environment of a job on the runner for PR 7 of octo-org/widgets, run 555 started by alice, pointed at the
 * stand-in, with every wait scaled down and RAMPART_HOME / HOME in the sandbox.
 */
export function actionEnv(gh: GitHubStandIn, sandboxEnv: Record<string, string>, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    ...sandboxEnv,
    GITHUB_ACTIONS: 'true', CI: 'true', GITHUB_TOKEN: 'ghs_actions', GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`, GITHUB_API_URL: gh.url,
    GITHUB_SERVER_URL: 'https://github.com', GITHUB_RUN_ID: '555', GITHUB_ACTOR: 'alice', RAMPART_GITHUB_PR: '7', RAMPART_GITHUB_SHA: HEAD,
    RAMPART_GITHUB_POLL_MS: '20', RAMPART_GITHUB_BACKOFF_MS: '5', RAMPART_GITHUB_TIMEOUT_MS: '2000', RAMPART_APPROVAL_TIMEOUT_MINUTES: '0.5',
    ...extra,
  }
}

/**
 * The Action's bundled entry point run as the runner runs it: `INPUT_*` variables (upper case, as GitHub sets
 * them), command files for outputs and the summary; what it printed sorted into infos, warnings and failures.
 */
export async function runBundled(env: Record<string, string | undefined>, inputs: Record<string, string>, dir: string): Promise<Omit<FakeIO, 'io'>> {
  const {spawn} = await import('node:child_process')
  const {mkdtempSync, readFileSync: read} = await import('node:fs')
  const work = mkdtempSync(join(dir, 'runner-'))
  const files = {GITHUB_OUTPUT: join(work, 'output'), GITHUB_STEP_SUMMARY: join(work, 'summary'), GITHUB_ENV: join(work, 'env'), GITHUB_STATE: join(work, 'state')}
  for (const f of Object.values(files)) writeFileSync(f, '')
  const inputVars = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v]))
  const entry = join(import.meta.dirname, '..', '..', 'dist', 'action', 'index.cjs')
  const child = spawn(process.execPath, [entry], {env: {PATH: process.env.PATH ?? '', ...env, ...files, ...inputVars}, cwd: work})
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stdout += d.toString()))
  await new Promise((resolve) => child.on('close', resolve))
  const decode = (text: string) => text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
  const out: Omit<FakeIO, 'io'> = {infos: [], warnings: [], failures: [], summary: [read(files.GITHUB_STEP_SUMMARY, 'utf8')], outputs: {}}
  for (const line of stdout.split('\n')) {
    if (line === '' || line.startsWith('::add-mask::')) continue
    const command = /^::(error|warning)[^:]*::(.*)$/.exec(line)
    if (command?.[1] === 'error') out.failures.push(decode(command[2] ?? ''))
    else if (command?.[1] === 'warning') out.warnings.push(decode(command[2] ?? ''))
    else out.infos.push(line)
  }
  out.outputs = commandFile(files.GITHUB_OUTPUT)
  return out
}

/** The `name<<delimiter\nvalue\ndelimiter` records of a runner command file (outputs, env), as @actions/core writes them. */
export function commandFile(file: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = readFileSync(file, 'utf8').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i] ?? '')
    if (!m?.[1] || !m[2]) continue
    const value: string[] = []
    while (++i < lines.length && lines[i] !== m[2]) value.push(lines[i] ?? '')
    out[m[1]] = value.join('\n')
  }
  return out
}
