import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname} from 'node:path'

const require = createRequire(import.meta.url)

/**
 * Run `fn` while holding a lock on `file` (created empty when missing, since proper-lockfile locks an existing
 * path). proper-lockfile's synchronous lock does not wait, so this retries for a few seconds before giving up.
 */
export function withFileLock<T>(file: string, fn: () => T): T {
  mkdirSync(dirname(file), {recursive: true})
  if (!existsSync(file)) {
    try {
      writeFileSync(file, '', {flag: 'wx', mode: 0o600})
    } catch {
      // created by someone else meanwhile
    }
  }
  const lockfile = require('proper-lockfile') as typeof import('proper-lockfile')
  const pause = new Int32Array(new SharedArrayBuffer(4))
  let release: (() => void) | undefined
  for (let attempt = 0; !release; attempt++) {
    try {
      release = lockfile.lockSync(file, {stale: 10_000, realpath: false})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED' || attempt >= 1000) throw error
      Atomics.wait(pause, 0, 0, 5 + Math.floor(Math.random() * 10))
    }
  }
  try {
    return fn()
  } finally {
    release()
  }
}

/** Write a file atomically (temp file + rename). */
export function writeAtomic(file: string, text: string, mode?: number): void {
  const wfa = require('write-file-atomic') as typeof import('write-file-atomic')
  wfa.sync(file, text, mode === undefined ? {} : {mode})
}
