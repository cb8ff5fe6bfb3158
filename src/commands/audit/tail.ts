import {closeSync, openSync, readSync, statSync} from 'node:fs'
import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base.js'
import {out} from '../../cli/write.js'
import {auditFiles, type AuditEvent} from '../../core/audit/log.js'
import {parseEvent, readAuditEvents} from '../../core/audit/verify.js'
import {oneLine} from '../../core/errors.js'
import {rampartHome} from '../../core/policy/load.js'

const POLL_MS = 200

export default class AuditTail extends BaseCommand {
  static override summary = 'Print the latest audit events; --follow keeps printing new ones as they are written.'
  static override description = `Reads $RAMPART_HOME/audit/*.jsonl. Text: one line per event (time, action[/resolution], tool, command, path or url, agent, session, matched policies, who resolved it). --json: one JSON object per line, each event as stored. --follow runs until Ctrl-C, across day files.`
  static override examples = ['<%= config.bin %> audit tail', '<%= config.bin %> audit tail -n 50', '<%= config.bin %> audit tail --follow', '<%= config.bin %> audit tail --follow --json | jq .decision']
  static override flags = {
    lines: Flags.integer({char: 'n', description: 'How many of the latest events to print first.', default: 20, min: 0}),
    follow: Flags.boolean({char: 'f', description: 'Keep printing events as they are appended, until interrupted.', default: false}),
  }

  async run(): Promise<undefined> {
    const {flags} = await this.parse(AuditTail)
    const home = rampartHome()
    const json = this.jsonEnabled()
    // written directly: with --json oclif silences this.log, and each event is its own JSON document
    const print = (event: AuditEvent) => out((json ? JSON.stringify(event) : formatEvent(event)) + '\n')
    // where following starts, taken before the first read so that no event falls between the two
    const start = flags.follow ? position(home) : undefined
    const first = readAuditEvents(home, {limit: flags.lines})
    for (const event of first) print(event)
    if (start) await follow(home, start, new Set(first.map((e) => e.id)), print)
    return undefined
  }
}

/** One line: `timestamp  ACTION[/resolved]  tool  command|path|url  agent  session  (policies) resolved_by`. */
export function formatEvent(e: AuditEvent): string {
  const d = e.decision ?? {action: '?', matched_policies: [], message: ''}
  const action = String(d.action).toUpperCase() + (d.resolved ? `/${d.resolved}` : '')
  const target = e.request?.command ?? e.request?.path ?? e.request?.url ?? '-'
  const policies = Array.isArray(d.matched_policies) && d.matched_policies.length > 0 ? d.matched_policies.join(', ') : 'default'
  const fields = [e.timestamp, action.padEnd(13), String(e.tool).padEnd(5), oneLine(String(target)), e.agent || '-', e.session || '-', `(${policies})${d.resolved_by ? ` ${d.resolved_by}` : ''}`]
  return fields.join('  ')
}

interface Position {
  file: string | undefined
  offset: number
}

function position(home: string): Position {
  const file = auditFiles(home).at(-1)
  if (file === undefined) return {file, offset: 0}
  try {
    return {file, offset: statSync(file).size}
  } catch {
    return {file, offset: 0}
  }
}

/**
 * Poll the folder (a stat per tick: simple, and it works where file watching does not) and print the lines
 * appended since `start`, moving on to newer day files as they appear. Events already printed from the
 * initial read are skipped. Resolves on SIGINT or SIGTERM.
 */
function follow(home: string, start: Position, seen: Set<string>, print: (event: AuditEvent) => void): Promise<void> {
  let {file, offset} = start
  let carry = Buffer.alloc(0)

  const emit = (chunk: Buffer) => {
    let data = carry.length ? Buffer.concat([carry, chunk]) : chunk
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10)) {
      const event = parseEvent(data.subarray(0, nl).toString('utf8'))
      data = data.subarray(nl + 1)
      if (event && !seen.has(event.id)) print(event)
    }
    // an incomplete line waits for the rest of its write
    carry = Buffer.from(data)
  }

  const drain = () => {
    if (file === undefined) return
    let size: number
    try {
      size = statSync(file).size
    } catch {
      return
    }
    if (size < offset) {
      // truncated or replaced: start over rather than wait for it to grow past the old size
      offset = 0
      carry = Buffer.alloc(0)
    }
    if (size === offset) return
    const fd = openSync(file, 'r')
    try {
      const buf = Buffer.alloc(size - offset)
      const n = readSync(fd, buf, 0, buf.length, offset)
      offset += n
      emit(buf.subarray(0, n))
    } finally {
      closeSync(fd)
    }
  }

  const tick = () => {
    // the listing comes first: once a newer file exists nothing more is appended to the current one, so
    // draining the current file after listing cannot miss its last events
    const newer = auditFiles(home).filter((f) => file === undefined || f > file)
    drain()
    for (const next of newer) {
      file = next
      offset = 0
      carry = Buffer.alloc(0)
      drain()
    }
  }

  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      try {
        tick()
      } catch (error) {
        stop()
        reject(error)
      }
    }, POLL_MS)
    const stop = () => {
      clearInterval(timer)
      process.off('SIGINT', done)
      process.off('SIGTERM', done)
    }
    const done = () => {
      stop()
      resolve()
    }
    process.on('SIGINT', done)
    process.on('SIGTERM', done)
  })
}
