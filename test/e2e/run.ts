import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/** Run the real CLI as a user would, with a sandboxed environment (never the real home folder). */
export function rampart(args: string[], options: {cwd: string; env: Record<string, string>; input?: string}): RunResult {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NO_COLOR: '1',
    RAMPART_HEADLESS: '0',
    ...options.env,
  }
  const r = spawnSync(process.execPath, [BIN, ...args], {cwd: options.cwd, env, encoding: 'utf8', input: options.input ?? ''})
  return {code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr}
}

/** rampart() without blocking the event loop, for tests that serve HTTP in the same process. */
export async function rampartAsync(args: string[], options: {cwd: string; env: Record<string, string>; input?: string}): Promise<RunResult> {
  const {spawn} = await import('node:child_process')
  const env: Record<string, string> = {PATH: process.env.PATH ?? '', NO_COLOR: '1', RAMPART_HEADLESS: '0', ...options.env}
  const child = spawn(process.execPath, [BIN, ...args], {cwd: options.cwd, env})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  child.stdin.end(options.input ?? '')
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)))
  return {code, stdout, stderr}
}
