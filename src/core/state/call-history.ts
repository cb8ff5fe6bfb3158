import {join} from 'node:path'

import type {CallHistory} from '../engine/evaluate.js'
import {appendLine, readTail} from './files.js'

/** How much of the log's tail is read for call_count: far more than a day of calls at agent speed. */
const TAIL_BYTES = 2 * 1024 * 1024

/**
 * Every real call, one line per call (`<epoch ms> <tool>`) appended to $RAMPART_HOME/state/calls.log. A small
 * O_APPEND write is atomic, so concurrent hook processes need no lock; call_count reads the log's tail only when
 * a rule in scope uses it. Recording is also how an unwritable RAMPART_HOME is noticed: the hook then denies.
 */
export class FileCallHistory implements CallHistory {
  readonly file: string
  private counts: Map<string, number[]> | undefined

  constructor(rampartHome: string) {
    this.file = join(rampartHome, 'state', 'calls.log')
  }

  record(tool: string, now = Date.now()): void {
    appendLine(this.file, `${now} ${tool.replace(/\s/g, '_')}\n`)
  }

  /** Calls of `tool` since `sinceMs`, this process's own record excluded (the engine counts the current call). */
  count(tool: string, sinceMs: number): number {
    this.counts ??= this.read()
    const list = this.counts.get(tool) ?? []
    // the last entry for this tool is the current call, recorded before evaluation
    return Math.max(0, list.filter((t) => t >= sinceMs).length - 1)
  }

  private read(): Map<string, number[]> {
    const out = new Map<string, number[]>()
    let tail: {text: string; whole: boolean}
    try {
      tail = readTail(this.file, TAIL_BYTES)
    } catch {
      return out
    }
    const lines = tail.text.split('\n')
    if (!tail.whole) lines.shift() // a partial first line
    for (const line of lines) {
      const sp = line.indexOf(' ')
      if (sp < 0) continue
      const t = Number(line.slice(0, sp))
      const tool = line.slice(sp + 1)
      if (!Number.isFinite(t)) continue
      const list = out.get(tool)
      if (list) list.push(t)
      else out.set(tool, [t])
    }
    return out
  }
}
