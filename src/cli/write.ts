import {writeSync} from 'node:fs'
import {isatty} from 'node:tty'

/**
 * Write to stdout / stderr without touching process.stdout: its first use loads Node's stream machinery, a
 * noticeable share of a dry run's start-up. Falls back to the stream if the descriptor is non-blocking and full.
 */
export function out(text: string): void {
  writeFd(1, text)
}

export function err(text: string): void {
  writeFd(2, text)
}

function writeFd(fd: 1 | 2, text: string): void {
  const buf = Buffer.from(text)
  let off = 0
  try {
    while (off < buf.length) off += writeSync(fd, buf, off)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error
    ;(fd === 1 ? process.stdout : process.stderr).write(buf.subarray(off))
  }
}

export function stdoutIsTerminal(): boolean {
  return isatty(1)
}
