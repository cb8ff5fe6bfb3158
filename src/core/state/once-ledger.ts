import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import type {OnceLedger} from '../engine/evaluate.js'
import {withFileLock, writeAtomic} from './lock.js'

interface LedgerFile {
  consumed: Record<string, string>
}

/**
 * Single-use allow rules (`once: true`) already spent by a real call, in $RAMPART_HOME/state/once.json.
 * Consuming takes a file lock and rewrites the file atomically, so two agents racing for the same single-use
 * allow cannot both get it. Dry runs only read (isConsumed) and never consume.
 */
export class FileOnceLedger implements OnceLedger {
  readonly file: string
  private cache: LedgerFile | undefined

  constructor(rampartHome: string) {
    const dir = join(rampartHome, 'state')
    this.file = join(dir, 'once.json')
  }

  isConsumed(key: string): boolean {
    this.cache ??= this.read()
    return Object.hasOwn(this.cache.consumed, key)
  }

  /** Spend a single-use allow. True when this call got it; false when it was already spent. */
  consume(key: string, now = new Date()): boolean {
    return withFileLock(this.file, () => {
      const state = this.read()
      if (Object.hasOwn(state.consumed, key)) {
        this.cache = state
        return false
      }
      state.consumed[key] = now.toISOString()
      writeAtomic(this.file, JSON.stringify(state, null, 2) + '\n', 0o600)
      this.cache = state
      return true
    })
  }

  private read(): LedgerFile {
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<LedgerFile>
      return {consumed: parsed.consumed && typeof parsed.consumed === 'object' ? parsed.consumed : {}}
    } catch {
      // missing or unreadable: nothing spent yet (a corrupt ledger must not turn every once-rule into "spent"
      // silently either — consume() rewrites it under the lock)
      return {consumed: {}}
    }
  }
}

