import {closeSync, fchmodSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, rmSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {basename, dirname, join} from 'node:path'

import {ulid} from 'ulid'

import {fsyncDir, writeAll} from '../state/files.js'
import {clip} from '../text.js'

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired'

export interface Approval {
  id: string
  tool: string
  command?: string
  path?: string
  url?: string
  agent: string
  session: string
  message: string
  policy?: string
  run_id?: string
  params?: Record<string, unknown>
  status: ApprovalStatus
  created_at: string
  expires_at: string
  resolved_at?: string
  resolved_by?: string
  persisted?: boolean
}

export interface NewApproval {
  tool: string
  agent: string
  session?: string
  message: string
  command?: string
  path?: string
  url?: string
  policy?: string
  run_id?: string
  params?: Record<string, unknown>
}

export interface StoreOptions {
  timeoutMs: number
  maxPending?: number
  now?: () => number
  /** Told of every expiry, whether the server's timer or a reader noticed it first (audit, events, waiters). */
  onExpire?: (expired: Approval[]) => void
}

export class QueueFullError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'QueueFullError'
  }
}

type ResolvedStatus = Exclude<ApprovalStatus, 'pending'>

type JournalOp =
  | {op: 'create'; approval: Approval}
  | {op: 'resolve'; id: string; status: ResolvedStatus; resolved_at: string; resolved_by: string; persisted?: boolean}
  | {op: 'run'; run_id: string; until: number}

/** Past this many journal lines the file is rewritten (on open, and after a commit that crosses it). */
const COMPACT_AT_LINES = 5000
/** Resolved records a compacted journal keeps: enough for the dashboard and for 410-on-replay of recent links. */
const KEEP_RESOLVED_ON_DISK = 1000
/** Resolved records kept in memory; pending ones are always kept. */
const KEEP_RESOLVED_IN_MEMORY = 5000
const DEFAULT_MAX_PENDING = 1000

/**
 * Per-field caps. Request bodies may be 1 MiB, so 1,000 pending approvals built from full-size bodies would take
 * a gigabyte; with these caps the worst case stays in the tens of megabytes. A clipped string says so at its end,
 * so a human never approves a command believing they saw all of it.
 */
const LIMITS = {command: 16 * 1024, path: 4096, url: 4096, message: 4096, name: 256, params: 16 * 1024} as const

/**
 * The approval queue behind `rampart serve`, kept in memory and journaled to an append-only JSON-lines file.
 *
 * State changes in memory synchronously, so racing resolutions of one id are decided by call order. Journal
 * lines are group-committed: every change made in one turn of the event loop is written with one write and one
 * fsync, and `flush()` resolves once the fsync covering every earlier change is done, so a server that answers
 * only after `await flush()` never acknowledges a change a crash could lose.
 *
 * Readers expire overdue approvals first, so nothing past its deadline is ever reported as pending or approvable,
 * whether or not the server's timer has fired yet.
 */
export class ApprovalStore {
  readonly file: string
  readonly warnings: string[] = []

  private readonly timeoutMs: number
  private readonly maxPending: number
  private readonly now: () => number
  private readonly onExpire: ((expired: Approval[]) => void) | undefined
  // Map order is the order the dashboard and recovery need: pending by creation, resolved by resolution.
  private readonly pendingById = new Map<string, Approval>()
  private readonly resolvedById = new Map<string, Approval>()
  private readonly deadlines = new Map<string, number>()
  private readonly runs = new Map<string, number>()
  // undefined: nothing pending; null: must be recomputed
  private earliest: number | undefined | null = undefined

  private fd = -1
  private closed = false
  /** Bytes of the journal known to be complete lines on disk: where a failed write is truncated back to. */
  private goodSize = 0
  private lines = 0
  /** A snapshot can itself be long (a big run cache); waiting for it to double keeps compaction from repeating every commit. */
  private compactAt = COMPACT_AT_LINES
  private queue: string[] = []
  private waiters: Array<{resolve: () => void; reject: (error: Error) => void}> = []
  private scheduled = false
  private lastFailure: string | undefined

  private constructor(file: string, options: StoreOptions) {
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) throw new RangeError(`approval timeout must be a positive number of milliseconds, got ${options.timeoutMs}`)
    this.file = file
    this.timeoutMs = options.timeoutMs
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING
    this.now = options.now ?? Date.now
    this.onExpire = options.onExpire
  }

  /**
   * Open (or create) the journal and replay it. Damage never stops the server: a torn last line from a crash
   * mid-write is cut off, other bad lines are skipped, and each is noted in `warnings`. Only an unreadable or
   * unwritable file throws, because then no approval could be kept.
   */
  static open(file: string, options: StoreOptions): ApprovalStore {
    const store = new ApprovalStore(file, options)
    store.load()
    return store
  }

  get size(): number {
    return this.pendingById.size + this.resolvedById.size
  }

  create(input: NewApproval): {approval: Approval; autoApproved: boolean} {
    this.assertOpen()
    const now = this.now()
    const runId = input.run_id === undefined ? undefined : runKey(input.run_id)
    const autoApproved = runId !== undefined && this.isRunApproved(runId)
    if (!autoApproved) {
      this.expireDue()
      if (this.pendingById.size >= this.maxPending) {
        // the fix (resolve some, or wait for expiry) is the server's to phrase: it knows which commands the user has
        throw new QueueFullError(`the approval queue is full (${this.pendingById.size} pending)`)
      }
    }
    const approval: Approval = {
      id: ulid(now),
      tool: clip(input.tool, LIMITS.name),
      agent: clip(input.agent, LIMITS.name),
      session: clip(input.session ?? '', LIMITS.name),
      message: clip(input.message, LIMITS.message),
      status: 'pending',
      created_at: iso(now),
      expires_at: iso(now + this.timeoutMs),
    }
    if (input.command !== undefined) approval.command = clip(input.command, LIMITS.command)
    if (input.path !== undefined) approval.path = clip(input.path, LIMITS.path)
    if (input.url !== undefined) approval.url = clip(input.url, LIMITS.url)
    if (input.policy !== undefined) approval.policy = clip(input.policy, LIMITS.name)
    if (runId !== undefined) approval.run_id = runId
    if (input.params !== undefined) approval.params = boundedParams(input.params)
    if (autoApproved) {
      approval.status = 'approved'
      approval.resolved_at = iso(now)
      approval.resolved_by = 'run-cache'
    }
    this.insert(approval)
    this.append({op: 'create', approval})
    return {approval: {...approval}, autoApproved}
  }

  get(id: string): Approval | undefined {
    this.expireDue()
    const found = this.pendingById.get(id) ?? this.resolvedById.get(id)
    return found && {...found}
  }

  pending(): Approval[] {
    this.expireDue()
    return [...this.pendingById.values()].map((a) => ({...a}))
  }

  runGroups(): Array<{run_id: string; count: number; ids: string[]}> {
    this.expireDue()
    const groups = new Map<string, string[]>()
    for (const a of this.pendingById.values()) {
      if (a.run_id === undefined) continue
      const ids = groups.get(a.run_id)
      if (ids) ids.push(a.id)
      else groups.set(a.run_id, [a.id])
    }
    return [...groups].filter(([, ids]) => ids.length >= 2).map(([run_id, ids]) => ({run_id, count: ids.length, ids}))
  }

  recent(limit: number): Approval[] {
    const out: Approval[] = []
    if (limit <= 0) return out
    const all = [...this.resolvedById.values()]
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) out.push({...(all[i] as Approval)})
    return out
  }

  resolve(id: string, r: {approved: boolean; resolved_by: string; persisted?: boolean}): {ok: true; approval: Approval} | {ok: false; reason: 'not-found' | 'gone'} {
    this.assertOpen()
    // an approval past its deadline is expired even if the timer has not fired yet: approving it now would be late
    this.expireDue()
    const approval = this.pendingById.get(id)
    if (!approval) return {ok: false, reason: this.resolvedById.has(id) ? 'gone' : 'not-found'}
    const resolved = this.settle(approval, r.approved ? 'approved' : 'denied', iso(this.now()), clip(r.resolved_by, LIMITS.name), r.approved && r.persisted === true)
    return {ok: true, approval: {...resolved}}
  }

  bulkResolve(run: string, approve: boolean, resolvedBy: string): Approval[] {
    this.assertOpen()
    const runId = runKey(run)
    this.expireDue()
    const now = this.now()
    const by = clip(resolvedBy, LIMITS.name)
    const targets = [...this.pendingById.values()].filter((a) => a.run_id === runId)
    const out = targets.map((a) => ({...this.settle(a, approve ? 'approved' : 'denied', iso(now), by, false)}))
    this.pruneRuns(now)
    if (approve) {
      const until = now + this.timeoutMs
      this.runs.set(runId, until)
      this.append({op: 'run', run_id: runId, until})
    } else if (this.runs.has(runId)) {
      // denying a run withdraws an earlier bulk approval of it: later calls of that run ask again
      this.runs.delete(runId)
      this.append({op: 'run', run_id: runId, until: now})
    }
    return out
  }

  isRunApproved(runId: string): boolean {
    const until = this.runs.get(runKey(runId))
    return until !== undefined && until > this.now()
  }

  expireDue(): Approval[] {
    const now = this.now()
    const deadline = this.nextDeadline()
    if (deadline === undefined || deadline > now || this.closed) return []
    const out: Approval[] = []
    for (const a of [...this.pendingById.values()]) {
      const due = this.deadlines.get(a.id) ?? 0
      // resolved_at is the deadline itself, not the moment the timer noticed, so a restart after downtime records when it really lapsed
      if (due <= now) out.push({...this.settle(a, 'expired', a.expires_at, 'timeout', false)})
    }
    if (out.length > 0) this.onExpire?.(out)
    return out
  }

  nextDeadline(): number | undefined {
    if (this.earliest === null) {
      let min: number | undefined
      for (const t of this.deadlines.values()) if (min === undefined || t < min) min = t
      this.earliest = min
    }
    return this.earliest
  }

  flush(): Promise<void> {
    // a commit is synchronous, so an empty queue means every change so far is written and fsynced
    if (this.queue.length === 0) return Promise.resolve()
    if (this.closed) return Promise.reject(new Error(`the approvals journal ${this.file} is closed with ${this.queue.length} change(s) unwritten`))
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({resolve, reject})
      this.schedule()
    })
  }

  close(): void {
    if (this.closed) return
    // last chance for queued changes; a failure here has already been reported to any flush() waiting on them
    this.commit()
    this.closed = true
    if (this.fd >= 0) closeSync(this.fd)
    this.fd = -1
  }

  // ---- state

  private insert(approval: Approval): void {
    if (approval.status === 'pending') {
      this.pendingById.set(approval.id, approval)
      const parsed = Date.parse(approval.expires_at)
      const due = Number.isNaN(parsed) ? 0 : parsed
      this.deadlines.set(approval.id, due)
      if (this.earliest !== null && (this.earliest === undefined || due < this.earliest)) this.earliest = due
    } else {
      this.keepResolved(approval)
    }
  }

  private keepResolved(approval: Approval): void {
    this.resolvedById.set(approval.id, approval)
    if (this.resolvedById.size > KEEP_RESOLVED_IN_MEMORY) {
      const oldest = this.resolvedById.keys().next()
      if (!oldest.done) this.resolvedById.delete(oldest.value)
    }
  }

  private settle(approval: Approval, status: ResolvedStatus, at: string, by: string, persisted: boolean, journal = true): Approval {
    this.pendingById.delete(approval.id)
    const due = this.deadlines.get(approval.id)
    this.deadlines.delete(approval.id)
    if (this.pendingById.size === 0) this.earliest = undefined
    else if (due === this.earliest) this.earliest = null
    approval.status = status
    approval.resolved_at = at
    approval.resolved_by = by
    approval.persisted = persisted
    this.keepResolved(approval)
    if (journal) this.append({op: 'resolve', id: approval.id, status, resolved_at: at, resolved_by: by, persisted})
    return approval
  }

  private pruneRuns(now: number): void {
    for (const [run, until] of this.runs) if (until <= now) this.runs.delete(run)
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`the approvals journal ${this.file} is closed`)
  }

  // ---- journal

  private append(op: JournalOp): void {
    this.queue.push(JSON.stringify(op) + '\n')
    this.schedule()
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      if (!this.closed) this.commit()
    })
  }

  /** Write and fsync everything queued, then answer every flush() waiting on it. */
  private commit(): void {
    const waiters = this.waiters
    this.waiters = []
    if (this.queue.length === 0) {
      for (const w of waiters) w.resolve()
      return
    }
    const lines = this.queue
    this.queue = []
    const data = Buffer.from(lines.join(''), 'utf8')
    let step = 'write'
    try {
      writeAll(this.fd, data)
      step = 'fsync'
      fsyncSync(this.fd)
    } catch (error) {
      // Cut a partial write off so the retry does not leave a broken line mid-file, and keep the changes queued:
      // memory already has them, and the next commit writes them again.
      try {
        ftruncateSync(this.fd, this.goodSize)
      } catch {
        // if even that fails, replay tolerates the duplicate or broken line the retry may leave behind
      }
      this.queue = lines.concat(this.queue)
      this.lastFailure = explain(error)
      const failure = new Error(`could not ${step} the approvals journal ${this.file}: ${explain(error)} — free disk space or fix the permissions of ${dirname(this.file)} (it must be writable by this user); the change is kept in memory and written again with the next one`)
      for (const w of waiters) w.reject(failure)
      return
    }
    this.goodSize += data.length
    this.lines += lines.length
    for (const w of waiters) w.resolve()
    if (this.lines > this.compactAt) this.compact()
  }

  /** The journal holds commands and paths, which may carry secrets. */
  private restrictMode(): void {
    try {
      fchmodSync(this.fd, 0o600)
    } catch (error) {
      // someone else's file we may still append to: say so rather than refuse to start
      this.warnings.push(`could not make ${this.file} private (mode 0600): ${explain(error)} — check its owner and permissions`)
    }
  }

  private load(): void {
    mkdirSync(dirname(this.file), {recursive: true, mode: 0o700})
    let text: Buffer
    let existed = true
    try {
      text = readFileSync(this.file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the approvals journal ${this.file}: ${explain(error)} — fix its permissions (it must be readable by this user)`)
      text = Buffer.alloc(0)
      existed = false
    }
    const {goodEnd, lines, needsNewline} = this.replay(text)
    try {
      this.fd = openSync(this.file, 'a', 0o600)
      this.restrictMode()
      if (goodEnd < text.length) {
        ftruncateSync(this.fd, goodEnd)
        fsyncSync(this.fd)
      }
      if (!existed) fsyncDir(dirname(this.file))
    } catch (error) {
      if (this.fd >= 0) closeSync(this.fd)
      this.fd = -1
      throw new Error(`cannot open the approvals journal ${this.file} for writing: ${explain(error)} — fix the permissions of ${dirname(this.file)} (it must be writable by this user)`)
    }
    this.goodSize = goodEnd
    this.lines = lines
    if (needsNewline) {
      // a complete last record whose newline was lost: end it so the next append starts a line of its own
      this.queue.unshift('\n')
    }
    this.expireDue()
    this.pruneRuns(this.now())
    // written now rather than on the next turn, so that open() returns with recovery already on disk
    if (this.queue.length > 0) {
      this.commit()
      if (this.queue.length > 0) {
        closeSync(this.fd)
        this.fd = -1
        throw new Error(`cannot write the approvals journal ${this.file}: ${this.lastFailure ?? 'unknown error'} — free disk space or fix the permissions of ${dirname(this.file)} (it must be writable by this user)`)
      }
    } else if (this.lines > this.compactAt) {
      this.compact()
    }
  }

  private replay(text: Buffer): {goodEnd: number; lines: number; needsNewline: boolean} {
    let start = 0
    let lineNo = 0
    let goodEnd = 0
    let lines = 0
    let needsNewline = false
    while (start < text.length) {
      const nl = text.indexOf(10, start)
      const end = nl === -1 ? text.length : nl
      const next = nl === -1 ? text.length : nl + 1
      lineNo++
      const raw = text.toString('utf8', start, end)
      if (raw.trim() === '') {
        if (nl !== -1) goodEnd = next
        start = next
        continue
      }
      let parsed: unknown
      let ok = true
      try {
        parsed = JSON.parse(raw)
      } catch {
        ok = false
      }
      if (!ok && isBlank(text, next)) {
        this.warnings.push(`${this.file}:${lineNo}: ignored an incomplete last line (a write cut short by a crash); the journal was cut back to the line before it`)
        break
      }
      lines++
      goodEnd = next
      if (nl === -1) needsNewline = true
      if (!ok) this.warnings.push(`${this.file}:${lineNo}: skipped a line that is not valid JSON`)
      else this.apply(parsed, lineNo)
      start = next
    }
    return {goodEnd, lines, needsNewline}
  }

  private apply(value: unknown, lineNo: number): void {
    const where = `${this.file}:${lineNo}`
    if (!isRecord(value)) {
      this.warnings.push(`${where}: skipped a line that is not a journal record`)
      return
    }
    switch (value.op) {
      case 'create': {
        const approval = readApproval(value.approval)
        if (!approval) this.warnings.push(`${where}: skipped a create record without a valid approval`)
        // a duplicate comes from a commit retried after a failed fsync: the first copy is the real one
        else if (!this.pendingById.has(approval.id) && !this.resolvedById.has(approval.id)) this.insert(approval)
        return
      }
      case 'resolve': {
        const {id, status, resolved_at, resolved_by, persisted} = value
        if (typeof id !== 'string' || !isResolvedStatus(status) || typeof resolved_at !== 'string' || typeof resolved_by !== 'string') {
          this.warnings.push(`${where}: skipped a malformed resolve record`)
          return
        }
        const approval = this.pendingById.get(id)
        if (approval) this.settle(approval, status, resolved_at, resolved_by, persisted === true, false)
        else if (!this.resolvedById.has(id)) this.warnings.push(`${where}: ignored a resolution of unknown approval ${JSON.stringify(id)}`)
        return
      }
      case 'run': {
        const {run_id, until} = value
        if (typeof run_id !== 'string' || typeof until !== 'number') {
          this.warnings.push(`${where}: skipped a malformed run record`)
          return
        }
        this.runs.set(run_id, until)
        return
      }
      default:
        this.warnings.push(`${where}: skipped a record with unknown op ${JSON.stringify(value.op)}`)
    }
  }

  /**
   * Rewrite the journal as a snapshot: the run cache, the newest resolved records and every pending approval,
   * in the order replay needs. Only called when memory and disk agree (nothing queued), and atomic (temp file,
   * fsync, rename), so a crash leaves either the old journal or the new one. A failure keeps the old journal.
   */
  private compact(): void {
    if (this.queue.length > 0) return
    const now = this.now()
    this.pruneRuns(now)
    const out: string[] = []
    for (const [run_id, until] of this.runs) out.push(JSON.stringify({op: 'run', run_id, until} satisfies JournalOp))
    const resolved = [...this.resolvedById.values()].slice(-KEEP_RESOLVED_ON_DISK)
    for (const approval of resolved) out.push(JSON.stringify({op: 'create', approval} satisfies JournalOp))
    for (const approval of this.pendingById.values()) out.push(JSON.stringify({op: 'create', approval} satisfies JournalOp))
    const data = Buffer.from(out.length ? out.join('\n') + '\n' : '', 'utf8')
    const dir = dirname(this.file)
    const tmp = join(dir, `.${basename(this.file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
    let fd = -1
    try {
      fd = openSync(tmp, 'wx', 0o600)
      writeAll(fd, data)
      fsyncSync(fd)
      closeSync(fd)
      fd = -1
      renameSync(tmp, this.file)
      fsyncDir(dir)
    } catch (error) {
      if (fd >= 0) closeSync(fd)
      rmSync(tmp, {force: true})
      this.warnings.push(`could not compact the approvals journal ${this.file}: ${explain(error)}; it keeps growing until the next attempt`)
      return
    }
    // the append descriptor still points at the replaced file
    const old = this.fd
    try {
      this.fd = openSync(this.file, 'a', 0o600)
    } finally {
      if (old >= 0 && old !== this.fd) closeSync(old)
    }
    this.goodSize = data.length
    this.lines = out.length
    this.compactAt = Math.max(COMPACT_AT_LINES, 2 * out.length)
  }
}

// ---- helpers

/** Run ids are clipped like every other field, and the same way everywhere, so a long one still groups and caches. */
function runKey(runId: string): string {
  return clip(runId, LIMITS.name)
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

function explain(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ? `${(error as NodeJS.ErrnoException).code} (${error.message})` : error.message
  return String(error)
}

/** Params are stored as their JSON round trip, which is what replay would give back anyway, and capped in size. */
function boundedParams(params: Record<string, unknown>): Record<string, unknown> {
  let json: string | undefined
  try {
    json = JSON.stringify(params)
  } catch (error) {
    return {_omitted: `params could not be serialized: ${explain(error)}`}
  }
  if (json === undefined) return {}
  if (json.length > LIMITS.params) return {_omitted: `params were ${json.length} characters of JSON, over the ${LIMITS.params} kept per approval`}
  const parsed: unknown = JSON.parse(json)
  return isRecord(parsed) ? parsed : {}
}

function isBlank(text: Buffer, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text[i]
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false
  }
  return true
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isResolvedStatus(value: unknown): value is ResolvedStatus {
  return value === 'approved' || value === 'denied' || value === 'expired'
}

/** An approval from disk, checked field by field and copied, so a hand-edited journal cannot smuggle in junk. */
function readApproval(value: unknown): Approval | undefined {
  if (!isRecord(value)) return undefined
  const {id, tool, agent, session, message, status, created_at, expires_at} = value
  if (typeof id !== 'string' || id === '' || typeof tool !== 'string' || typeof agent !== 'string' || typeof message !== 'string') return undefined
  if (typeof created_at !== 'string' || typeof expires_at !== 'string' || Number.isNaN(Date.parse(expires_at))) return undefined
  if (status !== 'pending' && !isResolvedStatus(status)) return undefined
  const approval: Approval = {id, tool, agent, session: typeof session === 'string' ? session : '', message, status, created_at, expires_at}
  for (const key of ['command', 'path', 'url', 'policy', 'run_id', 'resolved_at', 'resolved_by'] as const) {
    const v = value[key]
    if (typeof v === 'string') approval[key] = v
  }
  if (isRecord(value.params)) approval.params = value.params
  if (typeof value.persisted === 'boolean') approval.persisted = value.persisted
  return approval
}
