import {readFileSync} from 'node:fs'
import {isAbsolute, join, resolve} from 'node:path'

import Fastify, {type FastifyInstance, type FastifyReply, type FastifyRequest} from 'fastify'

import {ApprovalStore, QueueFullError, type Approval} from '../core/approvals/store.js'
import {ensureSigningKey, ensureToken, readToken, safeEqual, signLink, verifyLink, type LinkAction} from '../core/approvals/secrets.js'
import {decideByWebhooks} from '../core/approvals/decision-webhook.js'
import {WebhookNotifier} from '../core/approvals/webhook.js'
import {AuditLog, decisionEvent, type AuditInput} from '../core/audit/log.js'
import {callFromParams, subjectOf} from '../core/engine/call.js'
import {evaluate, type Decision, type ToolCall} from '../core/engine/evaluate.js'
import {decideHookAsync, deny, MAX_PAYLOAD_BYTES, type ChannelOutcome} from '../core/hook/claude-code.js'
import {addOverride} from '../core/overrides/store.js'
import {packageRoot} from '../core/package-root.js'
import type {PolicySet} from '../core/policy/load.js'
import {detectSession} from '../core/session/detect.js'
import {FileCallHistory} from '../core/state/call-history.js'
import {recordDecision} from '../core/state/decision-log.js'
import {FileOnceLedger} from '../core/state/once-ledger.js'
import {EventHub} from './events.js'
import {PolicyHost} from './policies.js'

export interface ServerOptions {
  rampartHome: string
  env: Record<string, string | undefined>
  /** The server's own folder: its project policy is the default for calls that name no folder. */
  cwd: string
  load: {config?: string; profile?: string; noProject?: boolean}
  approvalTimeoutMs: number
  sign: boolean
  webhook?: string
  /** Base of the links in webhook notices; default the address the server listens on. */
  publicUrl?: string
  /** Decide hook asks as headless (queue and wait) instead of passing `ask` to the agent's own prompt. */
  headless?: boolean
  /** How long an HTTP hook request waits for a headless approval before denying. */
  hookWaitMs?: number
  maxPending?: number
  log?: (line: string) => void
  /** Webhook retry pacing, for tests. */
  webhookBackoffMs?: number
}

const BODY_LIMIT = 1024 * 1024
const MAX_EVENT_STREAMS = 64
const VERSION = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {version: string}).version

/** A resolution as it is announced and audited. */
type Resolved = Approval & {status: 'approved' | 'denied' | 'expired'}

export interface RampartServer {
  app: FastifyInstance
  store: ApprovalStore
  host: PolicyHost
  events: EventHub
  /** Set once listening: the base URL links are built from. */
  baseUrl: string
  close(): Promise<void>
}

/**
 * Build the approval server (approvals.md). Routing, body limits and request validation are fastify's; decisions
 * come from the same engine as the CLI and the hook. Every acknowledged approval change is on disk first.
 */
export function buildServer(o: ServerOptions): RampartServer {
  const log = o.log ?? (() => undefined)
  // `rampart token --rotate` takes effect on a running server: the token file is looked at again (at most once a
  // second) and a changed one replaces the token held in memory
  let token = ensureToken(o.rampartHome)
  let tokenCheckedAt = Date.now()
  const currentToken = (): string => {
    if (Date.now() - tokenCheckedAt < 1000) return token
    tokenCheckedAt = Date.now()
    token = readToken(o.rampartHome) ?? token
    return token
  }
  const key = o.sign || o.webhook ? ensureSigningKey(o.rampartHome) : undefined
  // links that resolve without the token exist only with --sign; the key alone (webhook signatures) is not consent
  const linkKey = o.sign ? key : undefined
  const host = new PolicyHost({cwd: o.cwd, env: o.env, load: o.load})
  void host.base // an invalid policy stops the start here, with its file:line:col
  const store = ApprovalStore.open(join(o.rampartHome, 'approvals.jsonl'), {
    timeoutMs: o.approvalTimeoutMs, maxPending: o.maxPending ?? 1000,
    // expiries found while opening are announced once the server is built
    onExpire: (expired) => void Promise.resolve().then(() => store.flush()).then(() => announceResolution(expired as Resolved[]), (error: Error) => log(`approvals: ${error.message}`)),
  })
  for (const w of store.warnings) log(`approvals: ${w}`)
  const audit = new AuditLog(o.rampartHome)
  const events = new EventHub()
  const notifier = o.webhook && key ? new WebhookNotifier(o.webhook, key, {log, ...(o.webhookBackoffMs === undefined ? {} : {backoffMs: o.webhookBackoffMs})}) : undefined
  const once = new FileOnceLedger(o.rampartHome)
  const started = Date.now()
  const recent: unknown[] = []
  const waiters = new Map<string, Array<(a: Approval) => void>>()

  const app = Fastify({bodyLimit: BODY_LIMIT, logger: false, return503OnClosing: true, forceCloseConnections: true})
  const server: RampartServer = {app, store, host, events, baseUrl: o.publicUrl ?? '', close}

  app.setErrorHandler((error: Error & {statusCode?: number; validation?: unknown}, _req, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
    if (status >= 500) log(`internal error: ${error.stack ?? error.message}`)
    const message = status === 413 ? `request body over ${BODY_LIMIT} bytes — send less`
      : error.validation ? `invalid request: ${error.message} — see the route's fields in approvals.md`
        : status === 400 ? `invalid request: ${error.message}` : error.message
    void reply.code(status).send({error: message})
  })
  app.setNotFoundHandler((req, reply) => void reply.code(404).send({error: `no route ${req.method} ${req.url.split('?')[0]} — see GET /v1/status and approvals.md`}))

  // Bearer token on everything but the health check, the dashboard page and signed-link resolutions.
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0] ?? ''
    if (path === '/healthz' || path === '/dashboard' || path.startsWith('/dashboard/') || path === '/approve' || path === '/deny') return
    const q = req.query as Record<string, unknown>
    if (linkKey && /^\/v1\/approvals\/[^/]+\/resolve$/.test(path) && typeof q.sig === 'string') return
    const header = req.headers.authorization ?? ''
    const m = /^Bearer\s+(\S+)$/i.exec(header)
    if (!m?.[1] || !safeEqual(m[1], currentToken())) {
      if (path === '/v1/hooks/claude-code') return reply.code(200).send(deny('PreToolUse', 'the HTTP hook sent a missing or wrong token, so this call is denied — fix the Authorization header in the Claude Code settings (rampart setup claude-code --http)'))
      return reply.code(401).send({error: header ? 'wrong token — use the one in $RAMPART_HOME/token (rampart token)' : 'missing Authorization: Bearer <token> — see rampart token'})
    }
  })

  /** A real decision: in the recent list and the event stream, and in the recorded calls (not a PostToolUse re-check). */
  const remember = (call: ToolCall, d: Decision) => {
    const entry = {at: new Date().toISOString(), tool: call.tool, ...subjectOf(call), agent: call.agent, session: call.session, action: d.action, message: d.message}
    recent.unshift(entry)
    if (recent.length > 50) recent.pop()
    events.publish('decision', entry)
    if (call.response === undefined) recordDecision(o.rampartHome, call, d)
  }

  // group commit for the audit trail: the events of one tick share a lock and an fsync
  let auditBatch: Array<{input: AuditInput; done: (error?: Error) => void}> = []
  const record = (input: AuditInput): Promise<void> => new Promise((resolveRecord, rejectRecord) => {
    if (auditBatch.length === 0) {
      setImmediate(() => {
        const batch = auditBatch
        auditBatch = []
        let failure: Error | undefined
        try {
          audit.appendMany(batch.map((b) => b.input))
        } catch (error) {
          failure = error as Error
        }
        for (const b of batch) b.done(failure)
      })
    }
    auditBatch.push({input, done: (error) => (error ? rejectRecord(error) : resolveRecord())})
  })

  /** Audit, announce and wake waiters; resolves once the audit events are written (failures are logged). */
  function announceResolution(list: Resolved[]): Promise<void> {
    const written = list.map((a) => record({tool: a.tool, agent: a.agent, session: a.session, request: subjectOf(a), decision: {action: 'ask', resolved: a.status, resolved_by: a.resolved_by ?? 'api', matched_policies: a.policy ? [a.policy] : [], message: a.message}})
      .catch((error: Error) => log(`audit: ${error.message}`)))
    for (const a of list) {
      events.publish('approval.resolved', a)
      for (const w of waiters.get(a.id) ?? []) w(a)
      waiters.delete(a.id)
    }
    return Promise.all(written).then(() => undefined)
  }

  // Expired approvals resolve as denied (announced through onExpire); checked every second.
  const expiry = setInterval(() => store.expireDue(), 1000)
  expiry.unref()

  function links(a: Approval): {approve_url: string; deny_url: string} {
    const base = server.baseUrl.replace(/\/$/, '')
    const exp = Math.floor(Date.parse(a.expires_at) / 1000)
    const link = (action: LinkAction) => linkKey
      ? `${base}/${action}?id=${a.id}&exp=${exp}&sig=${signLink(linkKey, action, a.id, exp)}`
      : `${base}/dashboard/#${a.id}`
    return {approve_url: link('approve'), deny_url: link('deny')}
  }

  async function createApproval(input: Parameters<ApprovalStore['create']>[0]): Promise<{approval: Approval; autoApproved: boolean}> {
    const made = store.create(input)
    await store.flush()
    if (made.autoApproved) return made
    events.publish('approval.created', made.approval)
    notifier?.notify({
      timestamp: made.approval.created_at, decision: 'ask', tool: made.approval.tool, ...subjectOf(made.approval), policy: made.approval.policy ?? '',
      message: made.approval.message, agent: made.approval.agent, session: made.approval.session, approval_id: made.approval.id, ...links(made.approval),
    }).catch(() => undefined)
    return made
  }

  function callFrom(tool: string, body: ToolBody): ToolCall {
    const cwd = body.cwd && isAbsolute(body.cwd) ? body.cwd : o.cwd
    const call = callFromParams(tool, body.params, {agent: body.agent ?? 'unknown', cwd})
    call.session = body.session ?? detectSession(cwd, o.env).id
    if (call.path) call.path = resolve(cwd, call.path)
    return call
  }

  function describe(d: Decision) {
    return {
      decision: d.action, message: d.message, policy: d.decided_by?.policy ?? null,
      rule: d.decided_by ? `${d.decided_by.file}:${d.decided_by.line}` : null, matched_policies: d.matched_policies, suggestions: d.suggestions,
    }
  }

  /**
   * Evaluate a real call: counted, `action: webhook` rules asked (only the server can), then the final decision's
   * single-use allow consumed — also when a webhook's answer led to it; errors deny (fail closed).
   */
  async function decideReal(policy: PolicySet, call: ToolCall, headless: boolean): Promise<Decision> {
    const history = new FileCallHistory(o.rampartHome)
    history.record(call.tool)
    let d = evaluate(policy, call, {headless, history, once})
    if (d.webhook) d = await decideByWebhooks(call, d, (skipRules) => evaluate(policy, call, {headless, history, once, skipRules}))
    if (d.once_key && !once.consume(d.once_key)) {
      const spent: Decision = {...d, action: 'deny', message: 'this single-use allow was already used by another call'}
      delete spent.once_key
      return spent
    }
    return d
  }

  const toolBody = {
    type: 'object',
    required: ['params'],
    properties: {
      agent: {type: 'string', maxLength: 256}, session: {type: 'string', maxLength: 512}, run_id: {type: 'string', maxLength: 256},
      cwd: {type: 'string', maxLength: 4096}, headless: {type: 'boolean'}, params: {type: 'object'},
    },
  } as const
  interface ToolBody {agent?: string; session?: string; run_id?: string; cwd?: string; headless?: boolean; params: Record<string, unknown>}
  const toolParams = {type: 'object', properties: {tool: {type: 'string', pattern: '^[A-Za-z][\\w.:-]{0,127}$'}}} as const

  app.post<{Params: {tool: string}; Body: ToolBody}>('/v1/tool/:tool', {schema: {body: toolBody, params: toolParams}}, async (req, reply) => {
    const call = callFrom(req.params.tool, req.body)
    if (call.tool === 'exec' && call.command === undefined) {
      return reply.code(403).send({decision: 'deny', message: 'an exec call without a command string (params.command) cannot be checked; denied — send the command as one string'})
    }
    let d: Decision
    try {
      const policy = host.forCwd(call.cwd ?? o.cwd)
      d = await decideReal(policy, call, req.body.headless ?? false)
    } catch (error) {
      return reply.code(403).send({decision: 'deny', message: `cannot decide this call (${(error as Error).message}); failing closed`})
    }
    const answer = describe(d)
    remember(call, d)
    if (d.action === 'deny') {
      try {
        await record(decisionEvent(call, d))
      } catch (error) {
        return reply.code(503).send({error: `${(error as Error).message}; the call is denied until the audit trail can be written`})
      }
      return reply.code(403).send(answer)
    }
    if (d.action !== 'ask') return reply.code(200).send(answer)
    if (req.body.run_id && store.isRunApproved(req.body.run_id)) {
      return reply.code(200).send({...answer, decision: 'allow', message: `auto-approved: run ${req.body.run_id} was bulk-approved (${d.message})`})
    }
    try {
      const {approval} = await createApproval({
        tool: call.tool, agent: call.agent ?? 'unknown', session: call.session ?? '', message: d.message, ...subjectOf(call),
        ...(d.decided_by ? {policy: d.decided_by.policy} : {}), ...(req.body.run_id ? {run_id: req.body.run_id} : {}),
      })
      if (approval.status === 'approved') return reply.code(200).send({...answer, decision: 'allow', message: `auto-approved: run ${req.body.run_id ?? ''} was bulk-approved`})
      return reply.code(202).send({...answer, approval_id: approval.id, expires_at: approval.expires_at})
    } catch (error) {
      if (error instanceof QueueFullError) return reply.code(503).send({error: `${error.message} — resolve pending approvals (rampart pending) and retry`})
      throw error
    }
  })

  app.post<{Params: {tool: string}; Body: ToolBody}>('/v1/preflight/:tool', {schema: {body: toolBody, params: toolParams}}, async (req) => {
    const call = callFrom(req.params.tool, req.body)
    try {
      return describe(evaluate(host.forCwd(call.cwd ?? o.cwd), call, {headless: req.body.headless ?? false}))
    } catch (error) {
      return {decision: 'deny', message: `cannot decide this call (${(error as Error).message}); failing closed`}
    }
  })

  app.get('/v1/approvals', async () => ({approvals: store.pending(), runs: store.runGroups()}))

  app.get<{Params: {id: string}}>('/v1/approvals/:id', async (req, reply) => {
    const a = store.get(req.params.id)
    return a ?? reply.code(404).send({error: `no approval ${req.params.id} — list them with GET /v1/approvals`})
  })

  interface CreateBody {tool: string; agent: string; message: string; command?: string; path?: string; url?: string; session?: string; run_id?: string}
  app.post<{Body: CreateBody}>('/v1/approvals', {schema: {body: {
    type: 'object', required: ['tool', 'agent', 'message'],
    properties: {tool: {type: 'string', minLength: 1, maxLength: 128}, agent: {type: 'string', maxLength: 256}, message: {type: 'string', maxLength: 4096},
      command: {type: 'string', maxLength: 65536}, path: {type: 'string', maxLength: 4096}, url: {type: 'string', maxLength: 8192}, session: {type: 'string', maxLength: 512}, run_id: {type: 'string', maxLength: 256}},
  }}}, async (req, reply) => {
    const b = req.body
    try {
      const {approval, autoApproved} = await createApproval({tool: b.tool, agent: b.agent, message: b.message, session: b.session ?? '', ...subjectOf(b), ...(b.run_id ? {run_id: b.run_id} : {})})
      if (autoApproved) return reply.code(200).send({id: approval.id, status: approval.status, expires_at: approval.expires_at, message: `auto-approved: run ${b.run_id ?? ''} was bulk-approved`})
      return reply.code(201).send({id: approval.id, status: approval.status, expires_at: approval.expires_at})
    } catch (error) {
      if (error instanceof QueueFullError) return reply.code(503).send({error: `${error.message} — resolve pending approvals (rampart pending) and retry`})
      throw error
    }
  })

  interface ResolveBody {approved: boolean; resolved_by?: string; persist?: boolean}
  app.post<{Params: {id: string}; Body: ResolveBody; Querystring: {sig?: string; exp?: string}}>('/v1/approvals/:id/resolve', {schema: {body: {
    type: 'object', required: ['approved'],
    properties: {approved: {type: 'boolean'}, resolved_by: {type: 'string', minLength: 1, maxLength: 256}, persist: {type: 'boolean'}},
  }}}, async (req, reply) => {
    const {id} = req.params
    const b = req.body
    let resolvedBy = b.resolved_by ?? 'api'
    if (req.query.sig !== undefined) {
      const exp = Number(req.query.exp)
      if (!linkKey || !Number.isInteger(exp)) return reply.code(401).send({error: 'signed links are not enabled on this server (rampart serve --sign) or the link is incomplete'})
      const check = verifyLink(linkKey, b.approved ? 'approve' : 'deny', id, exp, req.query.sig)
      if (check === 'bad') return reply.code(401).send({error: 'the link signature does not match — use the link from the notification as it is'})
      if (b.persist) return reply.code(400).send({error: 'a signed link cannot persist an allow rule — use rampart approve --persist with the token'})
      if (check === 'expired') return reply.code(410).send({error: `approval ${id} has expired`})
      // whoever holds a link is not who they say they are: the audit trail records how it was resolved
      resolvedBy = 'signed-link'
    }
    const current = store.get(id)
    if (!current) return reply.code(404).send({error: `no approval ${id} — list them with GET /v1/approvals`})
    const wantPersist = b.approved && b.persist === true && canPersist(current)
    const r = store.resolve(id, {approved: b.approved, resolved_by: resolvedBy, persisted: wantPersist})
    // persisted only once the approval itself stands (an approval that expired meanwhile leaves no rule behind)
    const persisted = r.ok && wantPersist ? persistAllow(r.approval) : false
    if (!r.ok) return reply.code(r.reason === 'not-found' ? 404 : 410).send({error: r.reason === 'not-found' ? `no approval ${id}` : `approval ${id} was already resolved (${store.get(id)?.status ?? 'gone'}) — a link or request can be used once`})
    await store.flush()
    await announceResolution([r.approval as Resolved])
    return {id, status: r.approval.status, approved: b.approved, persisted}
  })

  /**
   * Whether an exact allow can be written for the call: commands are escaped (`\*`); a path with any glob
   * character is refused, because path patterns read `\` as a separator and picomatch gives ( ) | ! + @ meaning —
   * the rule would not be exact.
   */
  function canPersist(a: Approval): boolean {
    if (a.command !== undefined) return true
    return a.path !== undefined && (a.tool === 'write' || a.tool === 'edit' || a.tool === 'read') && !/[\\*?[\]{}()!+@|]/.test(a.path)
  }

  /** `persist: true`: an exact allow for the approved call in $RAMPART_HOME/policies/auto-allowed.yaml. */
  function persistAllow(a: Approval): boolean {
    const subject = a.command ?? a.path
    if (subject === undefined || !canPersist(a)) return false
    const tool = a.command !== undefined ? 'exec' : (a.tool as 'read' | 'write' | 'edit')
    try {
      addOverride(join(o.rampartHome, 'policies', 'auto-allowed.yaml'), {action: 'allow', pattern: subject.replace(/[\\*?[\]{}]/g, '\\$&'), tool, message: `Approved and persisted (approval ${a.id})`})
    } catch (error) {
      log(`persist: ${(error as Error).message}`)
      return false
    }
    const reloaded = host.reload()
    if (!reloaded.ok) log(`reload after persist: ${reloaded.error}`)
    return true
  }

  app.post<{Body: {run_id?: unknown; action?: unknown; resolved_by?: unknown}}>('/v1/approvals/bulk-resolve', async (req, reply) => {
    const b = (req.body ?? {}) as {run_id?: unknown; action?: unknown; resolved_by?: unknown}
    if (typeof b.run_id !== 'string' || b.run_id === '') return reply.code(400).send({error: 'run_id is missing or empty — send {"run_id": "...", "action": "approve"|"deny"}'})
    if (b.action !== 'approve' && b.action !== 'deny') return reply.code(400).send({error: 'action must be "approve" or "deny"'})
    const resolvedBy = typeof b.resolved_by === 'string' && b.resolved_by ? b.resolved_by : 'api'
    const list = store.bulkResolve(b.run_id, b.action === 'approve', resolvedBy)
    await store.flush()
    await announceResolution(list as Resolved[])
    return {resolved: list.length, ids: list.map((a) => a.id)}
  })

  app.post('/v1/policy/reload', async (_req, reply) => {
    const r = host.reload()
    events.publish('policy.reload', host.lastReload)
    if (!r.ok) {
      log(`reload failed, keeping the last good policy: ${r.error}`)
      return reply.code(422).send({error: r.error})
    }
    return {policies: r.policies, rules: r.rules}
  })

  app.get('/v1/status', async () => ({
    version: VERSION, uptime_s: Math.round((Date.now() - started) / 1000), ...host.counts(), pending: store.pending().length,
    last_reload: host.lastReload, approval_timeout_s: Math.round(o.approvalTimeoutMs / 1000), signed_links: Boolean(o.sign), webhook: Boolean(o.webhook),
    recovery: store.warnings, recent, resolved: store.recent(20),
  }))

  app.get('/healthz', async () => ({ok: true}))

  app.get('/v1/events', (req, reply) => {
    // each stream holds a socket: a bound keeps a token holder from exhausting the server
    if (events.size >= MAX_EVENT_STREAMS) return reply.code(503).send({error: `already ${MAX_EVENT_STREAMS} event streams open — close some dashboards`})
    reply.hijack()
    events.add(reply.raw)
  })

  // Claude Code's HTTP hook: the same JSON as `rampart hook claude-code`, with no process start per call. Claude
  // Code lets a call run when the HTTP hook fails (any non-2xx), so this route answers every problem — a body too
  // large, a wrong content type, bad JSON, a missing token, an internal error — with 200 and a deny.
  void app.register(async (hooks) => {
    hooks.removeAllContentTypeParsers()
    hooks.addContentTypeParser('*', {parseAs: 'string', bodyLimit: MAX_PAYLOAD_BYTES}, (_req, body, done) => done(null, body))
    hooks.setErrorHandler((error: Error & {statusCode?: number}, _req, reply) => {
      if ((error.statusCode ?? 500) >= 500) log(`hook endpoint: ${error.stack ?? error.message}`)
      const why = error.statusCode === 413 ? `the hook payload is over ${MAX_PAYLOAD_BYTES / 1024 / 1024} MiB` : error.message
      void reply.code(200).send(deny('PreToolUse', `${why}; failing closed`))
    })
    hooks.post('/v1/hooks/claude-code', {bodyLimit: MAX_PAYLOAD_BYTES}, async (req) => {
      const raw = typeof req.body === 'string' ? req.body : ''
      return decideHookAsync(raw, {
        env: o.env, policyFor: (cwd) => host.forCwd(cwd), headless: o.headless ?? false,
        onDecision: (call, d) => {
          remember(call, d)
          const input = decisionEvent(call, d)
          // an audited ask must be on record before Claude Code asks the user: written now, a failure denies
          if (d.action === 'ask' && d.audit) audit.append(input)
          else if (d.action === 'deny') record(input).catch((error: Error) => log(`audit: ${error.message}`))
        },
        channel: {request: (call, d) => waitForApproval(call, d)},
      })
    })
  })

  /** A headless hook ask: queue it and hold the request until someone resolves it or the wait ends (then deny). */
  async function waitForApproval(call: ToolCall, d: Decision): Promise<ChannelOutcome> {
    const {approval} = await createApproval({tool: call.tool, agent: call.agent ?? 'claude-code', session: call.session ?? '', message: d.message, ...subjectOf(call), ...(d.decided_by ? {policy: d.decided_by.policy} : {})})
    if (approval.status !== 'pending') return approval.status === 'approved' ? 'approved' : 'denied'
    const done = await new Promise<Approval | undefined>((resolveWait) => {
      const timer = setTimeout(() => resolveWait(undefined), Math.min(o.hookWaitMs ?? 55_000, Date.parse(approval.expires_at) - Date.now()))
      const list = waiters.get(approval.id) ?? []
      list.push((a) => {
        clearTimeout(timer)
        resolveWait(a)
      })
      waiters.set(approval.id, list)
    })
    return done?.status === 'approved' ? 'approved' : 'denied'
  }


  // Signed links open a confirmation page: a GET must not resolve anything (link scanners and previews follow it).
  const confirmPage = (action: LinkAction) => async (req: FastifyRequest<{Querystring: {id?: string; sig?: string; exp?: string}}>, reply: FastifyReply) => {
    const {id = '', sig = '', exp = ''} = req.query
    // what the call is only shows to someone holding a valid link
    const valid = linkKey !== undefined && Number.isInteger(Number(exp)) && verifyLink(linkKey, action, id, Number(exp), sig, 0) === 'ok'
    const a = valid ? store.get(id) : undefined
    const what = a ? escapeHtml(a.command ?? a.path ?? a.url ?? a.tool) : 'unknown approval'
    // query values reach the script only as JSON data, never as code
    const target = scriptJson(`/v1/approvals/${encodeURIComponent(id)}/resolve?sig=${encodeURIComponent(sig)}&exp=${encodeURIComponent(exp)}`)
    return reply.type('text/html; charset=utf-8').headers(FRAME_HEADERS).send(`<!doctype html><meta charset="utf-8"><title>Rampart: ${action}</title>
<body style="font-family:system-ui;margin:2rem"><h1>${action === 'approve' ? 'Approve' : 'Deny'} this call?</h1>
<p><code>${what}</code></p><p>${a ? escapeHtml(a.message) : ''}</p><p>Status: <b id="s">${a ? a.status : 'not found'}</b></p>
<button id="go">${action === 'approve' ? 'Approve' : 'Deny'}</button>
<script>document.getElementById('go').onclick=async()=>{const r=await fetch(${target},{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({approved:${action === 'approve'}})});const j=await r.json();document.getElementById('s').textContent=r.ok?j.status:j.error}</script>`)
  }
  app.get('/approve', confirmPage('approve'))
  app.get('/deny', confirmPage('deny'))

  const dashboardDir = join(packageRoot(), 'dist', 'server', 'dashboard')
  app.get('/dashboard', (_req, reply) => reply.redirect('/dashboard/'))
  app.get('/dashboard/', (_req, reply) => {
    let html: string
    try {
      html = readFileSync(join(dashboardDir, 'index.html'), 'utf8')
    } catch {
      return reply.code(404).send({error: 'the dashboard is not built — run npm run build'})
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').headers(FRAME_HEADERS).send(html)
  })

  async function close(): Promise<void> {
    clearInterval(expiry)
    events.close()
    await app.close()
    await notifier?.drain()
    await store.flush().catch(() => undefined)
    store.close()
  }

  return server
}

/** Pages that resolve approvals must not be framed by another site (clickjacking). */
const FRAME_HEADERS = {'x-frame-options': 'DENY', 'content-security-policy': "frame-ancestors 'none'"}

/** A string as a JavaScript literal safe inside <script>: JSON, with < escaped so `</script>` cannot end it. */
function scriptJson(value: string): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
