import {closeSync, openSync, readSync} from 'node:fs'

import {ExitCode, RampartError} from '../errors.js'
import {readTail} from '../state/files.js'
import {auditFiles, eventHash, GENESIS_HASH, type AuditEvent} from './log.js'

export type VerifyResult =
  | {ok: true; files: number; events: number}
  | {ok: false; file: string; line: number; problem: string; files: number; events: number}

const CHUNK = 64 * 1024

/**
 * Walk every day file in order and check the chain: each line is an event whose prev_hash is the previous
 * event's hash (across files; GENESIS_HASH for the very first) and whose hash matches its content. Stops at the
 * first broken line. `events` counts the events found intact before it.
 */
export function verifyAudit(rampartHome: string): VerifyResult {
  const files = readable(() => auditFiles(rampartHome), rampartHome)
  let expected = GENESIS_HASH
  let events = 0
  for (const file of files) {
    let broken: {line: number; problem: string} | undefined
    readable(() => forEachLine(file, (text, line) => {
      const problem = check(text, expected)
      if (typeof problem === 'string') {
        broken = {line, problem}
        return false
      }
      expected = problem.hash
      events++
      return true
    }), file)
    if (broken) return {ok: false, file, ...broken, files: files.length, events}
  }
  return {ok: true, files: files.length, events}
}

/** The event on a line, or what is wrong with it. */
function check(text: string, expected: string): {hash: string} | string {
  if (text.trim() === '') return 'empty line'
  let event: unknown
  try {
    event = JSON.parse(text)
  } catch {
    return 'not a JSON event (a torn or altered line)'
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return 'not a JSON object'
  const {prev_hash: prev, hash} = event as {prev_hash?: unknown; hash?: unknown}
  if (typeof prev !== 'string' || typeof hash !== 'string') return 'no prev_hash or hash'
  if (prev !== expected) return `prev_hash ${short(prev)} does not continue the chain (the previous event's hash is ${short(expected)}): an event before it was removed, added or altered`
  if (eventHash(event as Record<string, unknown>) !== hash) return `hash ${short(hash)} does not match the event's content`
  return {hash}
}

const short = (hash: string) => (hash.length > 19 ? `${hash.slice(0, 19)}…` : hash)

/**
 * Call `fn` with each line of a file (1-based numbers), reading it in chunks so that a large day file is never
 * held whole. A final line without a newline is passed too. `fn` returns false to stop.
 */
function forEachLine(file: string, fn: (text: string, line: number) => boolean): void {
  const fd = openSync(file, 'r')
  try {
    const buf = Buffer.alloc(CHUNK)
    let carry: Buffer[] = []
    let line = 0
    let pos = 0
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, pos)
      if (n === 0) break
      pos += n
      let start = 0
      for (let nl = buf.indexOf(10, 0); nl !== -1 && nl < n; nl = buf.indexOf(10, start)) {
        const piece = buf.subarray(start, nl)
        const text = carry.length ? Buffer.concat([...carry, piece]).toString('utf8') : piece.toString('utf8')
        carry = []
        start = nl + 1
        if (!fn(text, ++line)) return
      }
      if (start < n) carry.push(Buffer.from(buf.subarray(start, n)))
    }
    if (carry.length) fn(Buffer.concat(carry).toString('utf8'), ++line)
  } finally {
    closeSync(fd)
  }
}

function readable<T>(fn: () => T, where: string): T {
  try {
    return fn()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new RampartError(`cannot read the audit trail ${where} (${code}) — run as the user that owns RAMPART_HOME`, ExitCode.checkFailed)
  }
}

/**
 * The last `limit` events (all of them without a limit), oldest first. Reads files from the newest backwards
 * and only their tails when that is enough. Lines that are not events are skipped (verify reports them).
 */
export function readAuditEvents(rampartHome: string, options: {limit?: number} = {}): AuditEvent[] {
  const limit = options.limit ?? Infinity
  if (limit <= 0) return []
  const files = readable(() => auditFiles(rampartHome), rampartHome)
  const out: AuditEvent[][] = []
  let count = 0
  for (let i = files.length - 1; i >= 0 && count < limit; i--) {
    const file = files[i] as string
    const events = readable(() => lastEvents(file, limit - count), file)
    out.unshift(events)
    count += events.length
  }
  return out.flat()
}

/** Up to `n` events from the end of a file, oldest first: a growing tail read until it holds enough lines. */
function lastEvents(file: string, n: number): AuditEvent[] {
  for (let bytes = CHUNK; ; bytes *= 4) {
    const {text, whole} = readTail(file, bytes)
    const lines = text.split('\n')
    if (!whole) lines.shift()
    const events = lines.map(parseEvent).filter((e): e is AuditEvent => e !== undefined)
    if (whole || events.length >= n) return Number.isFinite(n) ? events.slice(-n) : events
  }
}

export function parseEvent(line: string): AuditEvent | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    const e = JSON.parse(line) as Partial<AuditEvent> | null
    return e && typeof e === 'object' && typeof e.hash === 'string' && typeof e.timestamp === 'string' ? (e as AuditEvent) : undefined
  } catch {
    return undefined
  }
}
