import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {redact} from '../audit/redact.js'
import type {Decision, ToolCall} from '../engine/evaluate.js'
import {appendLine} from './files.js'

/**
 * One real decision as the behavioural diff replays it (`rampart audit export --calls` →
 * `.rampart/recorded/*.jsonl`): the call's subject only — never file contents or tool output — with secrets
 * redacted, since recorded calls are meant to be committed.
 */
export interface RecordedCall {
  at: string
  tool: string
  params: {command?: string; path?: string; url?: string}
  agent?: string
  session?: string
  cwd?: string
  decision: string
  policy: string | null
}

export function decisionLogFile(rampartHome: string): string {
  return join(rampartHome, 'state', 'decisions.jsonl')
}

/** Append one decision (a small O_APPEND write: atomic between hook processes, no lock needed). */
export function recordDecision(rampartHome: string, call: ToolCall, d: Decision, now = new Date()): void {
  const params: RecordedCall['params'] = {}
  if (call.command !== undefined) params.command = redact(call.command)
  if (call.path !== undefined) params.path = redact(call.path)
  if (call.url !== undefined) params.url = redact(call.url)
  const entry: RecordedCall = {
    at: now.toISOString(), tool: call.tool, params,
    ...(call.agent !== undefined ? {agent: call.agent} : {}), ...(call.session !== undefined ? {session: call.session} : {}),
    ...(call.cwd !== undefined ? {cwd: call.cwd} : {}),
    decision: d.action, policy: d.decided_by?.policy ?? null,
  }
  appendLine(decisionLogFile(rampartHome), JSON.stringify(entry) + '\n')
}

/** Recorded decisions, oldest first; lines that do not parse (a write cut short) are skipped. */
export function readRecorded(rampartHome: string, filter: {since?: number; session?: string; tool?: string} = {}): RecordedCall[] {
  let text: string
  try {
    text = readFileSync(decisionLogFile(rampartHome), 'utf8')
  } catch {
    return []
  }
  const out: RecordedCall[] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue
    let entry: RecordedCall
    try {
      entry = JSON.parse(line) as RecordedCall
    } catch {
      continue
    }
    if (filter.since !== undefined && Date.parse(entry.at) < filter.since) continue
    if (filter.session !== undefined && entry.session !== filter.session) continue
    if (filter.tool !== undefined && entry.tool !== filter.tool) continue
    out.push(entry)
  }
  return out
}
