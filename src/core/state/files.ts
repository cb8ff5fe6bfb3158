import {closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, writeSync} from 'node:fs'
import {dirname} from 'node:path'

/** Open append descriptors, one per file: a server records thousands of calls a second and need not reopen. */
const appendFds = new Map<string, number>()

/**
 * Append one line (`text` ends with a newline) to a log under RAMPART_HOME, creating it 0600 with its folder. A small
 * O_APPEND write is atomic, so processes appending to the same log at once need no lock.
 */
export function appendLine(file: string, text: string): void {
  let fd = appendFds.get(file)
  if (fd === undefined) {
    mkdirSync(dirname(file), {recursive: true})
    fd = openSync(file, 'a', 0o600)
    appendFds.set(file, fd)
  }
  writeSync(fd, text)
}

/** The last `bytes` bytes of a file as text ('' when missing); `whole` when that is the entire file. */
export function readTail(file: string, bytes: number): {text: string; whole: boolean} {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {text: '', whole: true}
    throw error
  }
  try {
    const size = fstatSync(fd).size
    const start = Math.max(0, size - bytes)
    const buf = Buffer.alloc(size - start)
    let got = 0
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, start + got)
      if (n === 0) break
      got += n
    }
    return {text: buf.subarray(0, got).toString('utf8'), whole: start === 0}
  } finally {
    closeSync(fd)
  }
}

/** All of `data` at the descriptor's position (a single write may take only part of it). */
export function writeAll(fd: number, data: Buffer): void {
  let offset = 0
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset)
}

/** A new directory entry (created or renamed file) is durable only once its directory is fsynced. */
export function fsyncDir(dir: string): void {
  let fd = -1
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // not supported on every platform or file system (Windows); the file contents are fsynced regardless
  } finally {
    if (fd >= 0) closeSync(fd)
  }
}
