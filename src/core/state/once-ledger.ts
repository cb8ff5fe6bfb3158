import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {createRequire} from 'node:module'

import type {OnceLedger} from '../engine/evaluate.js'

const require = createRequire(import.meta.url)

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
    mkdirSync(join(this.file, '..'), {recursive: true})
    // the lock needs an existing file to lock
    try {
      writeFileSync(this.file, JSON.stringify({consumed: {}}), {flag: 'wx', mode: 0o600})
    } catch {
      // already there
    }
    const lockfile = require('proper-lockfile') as typeof import('proper-lockfile')
    const writeAtomic = require('write-file-atomic') as typeof import('write-file-atomic')
    const release = lockWithRetry(lockfile, this.file)
    try {
      const state = this.read()
      if (Object.hasOwn(state.consumed, key)) {
        this.cache = state
        return false
      }
      state.consumed[key] = now.toISOString()
      writeAtomic.sync(this.file, JSON.stringify(state, null, 2) + '\n', {mode: 0o600})
      this.cache = state
      return true
    } finally {
      release()
    }
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

/** proper-lockfile's synchronous lock does not retry; wait and retry for up to ~5 s before giving up. */
function lockWithRetry(lockfile: typeof import('proper-lockfile'), file: string): () => void {
  const pause = new Int32Array(new SharedArrayBuffer(4))
  for (let attempt = 0; ; attempt++) {
    try {
      return lockfile.lockSync(file, {stale: 10_000, realpath: false})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED' || attempt >= 500) throw error
      Atomics.wait(pause, 0, 0, 5 + Math.floor(Math.random() * 10))
    }
  }
}
