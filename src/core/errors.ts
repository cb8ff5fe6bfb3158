/** Exit codes, documented in the README and in `rampart --help`. */
export const ExitCode = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  denied: 3,
  ask: 4,
  invalidPolicy: 5,
  internal: 70,
} as const
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export interface SourcePos {
  file: string
  line: number
  col: number
}

export function formatPos(pos: SourcePos): string {
  return `${pos.file}:${pos.line}:${pos.col}`
}

/** Base class: every error a user can see carries an exit code and a one-line message saying how to fix it. */
export class RampartError extends Error {
  readonly exitCode: ExitCodeValue
  constructor(message: string, exitCode: ExitCodeValue) {
    super(message)
    this.name = new.target.name
    this.exitCode = exitCode
  }
}

/** A policy (or suite, or override) file that cannot be used. Always names the place and the fix. */
export class PolicyError extends RampartError {
  readonly pos: SourcePos
  readonly problem: string
  readonly hint: string
  constructor(pos: SourcePos, problem: string, hint: string) {
    super(`${formatPos(pos)}: ${oneLine(problem)} — ${oneLine(hint)}`, ExitCode.invalidPolicy)
    this.pos = pos
    this.problem = problem
    this.hint = hint
  }
}

export class UsageError extends RampartError {
  constructor(message: string) {
    super(oneLine(message), ExitCode.usage)
  }
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim()
}
