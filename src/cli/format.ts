import {relative} from 'node:path'

import {stdoutIsTerminal} from './write.js'

/** A file path for humans: relative to the working folder when inside it. */
export function displayPath(file: string, cwd = process.cwd()): string {
  const rel = relative(cwd, file)
  return rel && !rel.startsWith('..') && !rel.startsWith('/') ? rel : file
}

const useColor = () => !process.env.NO_COLOR && stdoutIsTerminal()

export function paint(text: string, code: number): string {
  return useColor() ? `\u001B[${code}m${text}\u001B[0m` : text
}

export {ACTION_COLOR} from '../core/text.js'
