import {closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {subjectOf} from '../engine/call.js'
import type {Decision, ToolCall} from '../engine/evaluate.js'
import {ExitCode, RampartError} from '../errors.js'
import {crypto, ulid} from '../lazy.js'
import {fsyncDir, readTail, writeAll} from '../state/files.js'
import {clip} from '../text.js'
import {withFileLock} from '../state/lock.js'
import {redact, redactValue} from './redact.js'

// Imported by the hook process on every agent call: node builtins and the lock; crypto and ulid on first use.

// `| undefined` so that a ToolCall's optional fields can be passed as they are; absent fields are not written
export interface AuditRequest {
  command?: string | undefined
  path?: string | undefined
  url?: string | undefined
}

export interface AuditDecision {
  action: string
  resolved?: 'approved' | 'denied' | 'expired' | undefined
  resolved_by?: string | undefined
  matched_policies: string[]
  message: string
}

export interface AuditInput {
  id?: string | undefined
  timestamp?: string | undefined
  tool: string
  agent: string
  session: string
  request: AuditRequest
  decision: AuditDecision
}

/** An event as stored. (`extends Required<Pick<…>>, AuditInput` is rejected by tsc: `id` would be declared twice.) */
export interface AuditEvent extends Omit<AuditInput, 'id' | 'timestamp'> {
  id: string
  timestamp: string
  prev_hash: string
  hash: string
}

export const GENESIS_HASH = 'sha256:' + '0'.repeat(64)

const DAY_FILE = /^\d{4}-\d{2}-\d{2}\.jsonl$/
/** Enough for the last event of a file many times over; the rest of the file is never read. */
const TAIL_BYTES = 64 * 1024

export function auditDir(rampartHome: string): string {
  return join(rampartHome, 'audit')
}

/** The day files, oldest first (their names sort by date). Missing folder: none. */
export function auditFiles(rampartHome: string): string[] {
  const dir = auditDir(rampartHome)
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  return names.filter((n) => DAY_FILE.test(n)).sort().map((n) => join(dir, n))
}

/** JSON with object keys sorted at every level and no whitespace: the bytes that are hashed. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined || typeof v === 'function' ? 'null' : canonicalJson(v))).join(',')}]`
  const parts: string[] = []
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key]
    if (v === undefined || typeof v === 'function') continue
    parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`)
  }
  return `{${parts.join(',')}}`
}

/** The hash of an event: over the previous hash and the event without its own `hash` (prev_hash included). */
export function eventHash(event: Omit<AuditEvent, 'hash'> | Record<string, unknown>): string {
  const rest: Record<string, unknown> = {...event}
  delete rest.hash
  const prev = typeof rest.prev_hash === 'string' ? rest.prev_hash : ''
  return 'sha256:' + crypto().createHash('sha256').update(prev + canonicalJson(rest)).digest('hex')
}

/** The audit event of a real decision (a deny, an audited ask): the hook, the HTTP hook and the server record the same. */
export function decisionEvent(call: ToolCall, d: Decision): AuditInput {
  return {tool: call.tool, agent: call.agent ?? '', session: call.session ?? '', request: subjectOf(call), decision: {action: d.action, matched_policies: d.matched_policies, message: d.message}}
}

/**
 * The append-only, hash-chained audit trail in $RAMPART_HOME/audit/YYYY-MM-DD.jsonl. One lock covers the whole
 * folder because the chain runs across day files: reading the last hash and appending must be one step, or two
 * writers would both chain from the same event.
 */
export class AuditLog {
  readonly dir: string
  private readonly home: string
  private readonly now: () => Date
  private nextId: ((seedTime?: number) => string) | undefined

  constructor(rampartHome: string, options: {now?: () => Date} = {}) {
    this.home = rampartHome
    this.dir = auditDir(rampartHome)
    this.now = options.now ?? (() => new Date())
  }

  /**
   * Redact, chain, append and fsync one event. Throws a RampartError naming the file and the fix when the trail
   * cannot be written: callers that must record fail closed on it.
   */
  append(input: AuditInput): AuditEvent {
    return this.appendMany([input])[0] as AuditEvent
  }

  /**
   * Several events under one lock and one fsync per file (a server records bursts of decisions). All or nothing
   * from the caller's view: a failure throws and none of them counts as recorded.
   */
  appendMany(inputs: AuditInput[]): AuditEvent[] {
    // redaction and the rest of each event are done before taking the lock, which is held for the I/O only
    const bodies = inputs.map((input) => {
      const timestamp = input.timestamp ?? this.now().toISOString()
      const at = new Date(timestamp)
      if (Number.isNaN(at.getTime())) throw new RampartError(`audit event timestamp "${timestamp}" is not a date — pass an ISO 8601 time`, ExitCode.internal)
      return {body: this.build(input, timestamp, at), file: join(this.dir, `${at.toISOString().slice(0, 10)}.jsonl`)}
    })
    let file = bodies[0]?.file ?? this.dir
    try {
      mkdirSync(this.dir, {recursive: true, mode: 0o700})
      return withFileLock(join(this.dir, '.chain'), () => {
        const files = auditFiles(this.home)
        let newest = files.at(-1)
        let {hash: prevHash, tornTail} = lastHash(files)
        const out: AuditEvent[] = []
        const pending = new Map<string, string>()
        for (const b of bodies) {
          // the chain runs in file order: an event dated before the newest file (a clock set back, a replayed
          // timestamp) goes to the newest file rather than into the middle of the chain
          file = newest !== undefined && newest > b.file ? newest : b.file
          const unhashed: Omit<AuditEvent, 'hash'> = {...b.body, prev_hash: prevHash}
          const event: AuditEvent = {...unhashed, hash: eventHash(unhashed)}
          // a line cut short by a crash stays (verify reports it); the new event must start on a line of its own
          const lead = tornTail && file === newest && !pending.has(file) ? '\n' : ''
          pending.set(file, (pending.get(file) ?? '') + lead + JSON.stringify(event) + '\n')
          prevHash = event.hash
          if (file !== newest) tornTail = false
          newest = file
          out.push(event)
        }
        for (const [f, text] of pending) {
          file = f
          writeDurably(f, text)
        }
        return out
      })
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ELOCKED') throw new RampartError(`cannot lock the audit trail ${join(this.dir, '.chain')} (held by another process for too long) — retry, or remove ${join(this.dir, '.chain.lock')} if no rampart process is running`, ExitCode.internal)
      throw new RampartError(`cannot write the audit trail ${file} (${code ?? (error as Error).message}) — make RAMPART_HOME writable`, ExitCode.internal)
    }
  }

  private build(input: AuditInput, timestamp: string, at: Date): Omit<AuditEvent, 'prev_hash' | 'hash'> {
    const request: AuditRequest & Record<string, unknown> = {}
    // the known fields first so that every line reads the same way; anything else a caller passes is kept
    for (const key of ['command', 'path', 'url'] as const) if (input.request[key] !== undefined) request[key] = clip(redact(input.request[key]), MAX_FIELD, 'recorded')
    for (const [key, value] of Object.entries(input.request)) if (!(key in request) && value !== undefined) request[key] = redactValue(value)
    const d = input.decision
    const decision: AuditDecision = {
      action: redact(d.action),
      ...(d.resolved === undefined ? {} : {resolved: d.resolved}),
      ...(d.resolved_by === undefined ? {} : {resolved_by: redact(d.resolved_by)}),
      matched_policies: d.matched_policies.map((p) => redact(p)),
      message: redact(d.message),
    }
    return {id: input.id ?? (this.nextId ??= ulid().monotonicFactory())(at.getTime()), timestamp, tool: input.tool, agent: input.agent, session: input.session, request, decision}
  }
}

/**
 * The hash to chain from: the last event of the newest file that has one, read from the file's tail only.
 * `tornTail` says the newest file does not end with a newline (a write cut short).
 */
function lastHash(files: string[]): {hash: string; tornTail: boolean} {
  let tornTail = false
  for (let i = files.length - 1; i >= 0; i--) {
    // the tail is usually enough; an event longer than it (or a long torn line) needs a longer look, up to the file
    for (let bytes = TAIL_BYTES; ; bytes *= 8) {
      const {text, whole} = readTail(files[i] as string, bytes)
      if (i === files.length - 1) tornTail = text.length > 0 && !text.endsWith('\n')
      const lines = text.split('\n')
      // a tail that starts mid-file starts with part of a line
      const first = whole ? 0 : 1
      for (let j = lines.length - 1; j >= first; j--) {
        const hash = hashOf(lines[j] as string)
        if (hash) return {hash, tornTail}
      }
      if (whole) break
    }
  }
  return {hash: GENESIS_HASH, tornTail}
}

/** Longest request text kept in an event: an 8 KB+ command is denied anyway, and events stay small to chain. */
const MAX_FIELD = 16 * 1024

function hashOf(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    const parsed = JSON.parse(line) as {hash?: unknown}
    return typeof parsed.hash === 'string' && parsed.hash.startsWith('sha256:') ? parsed.hash : undefined
  } catch {
    return undefined
  }
}

function writeDurably(file: string, text: string): void {
  const buf = Buffer.from(text, 'utf8')
  const fd = openSync(file, 'a', 0o600)
  let created = false
  try {
    created = fstatSync(fd).size === 0
    writeAll(fd, buf)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  // a new day file must survive a crash too: its directory entry is only durable once the folder is synced
  if (created) fsyncDir(join(file, '..'))
}

