import {ExitCode, oneLine, RampartError} from '../core/errors.js'
import {err, out} from './write.js'

/**
 * How every entry point reports a failure: one line on stderr (or a JSON error object with --json) and the
 * exit code that goes with it. Returns the exit code.
 */
export function reportError(error: unknown, json: boolean): number {
  let message: string
  let code: number
  if (error instanceof RampartError) {
    message = error.message
    code = error.exitCode
  } else {
    const e = error as Error
    const detail = process.env.RAMPART_DEBUG === '1' ? `\n${e?.stack ?? ''}` : ''
    message = `internal error: ${oneLine(String(e?.message ?? e))} — this is a bug in Rampart; rerun with RAMPART_DEBUG=1 and report the output${detail}`
    code = ExitCode.internal
  }
  if (json) out(JSON.stringify({error: {message, exit_code: code}}) + '\n')
  else err(`rampart: ${message}\n`)
  return code
}
