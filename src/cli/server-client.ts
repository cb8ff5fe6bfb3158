import {Flags} from '@oclif/core'

import {clientToken} from '../core/approvals/secrets.js'
import {readServerInfo} from '../core/approvals/server-info.js'
import {ExitCode, RampartError} from '../core/errors.js'
import {rampartHome} from '../core/policy/load.js'

/** Flags of every command that talks to a running `rampart serve`. */
export const serverFlags = {
  api: Flags.string({description: 'Address of rampart serve (default: where the server of this RAMPART_HOME listens, else http://127.0.0.1:9090).', env: 'RAMPART_API'}),
  token: Flags.string({description: 'API token (default: RAMPART_TOKEN, else $RAMPART_HOME/token).'}),
}

export class ServerUnavailableError extends RampartError {
  constructor(message: string) {
    super(message, ExitCode.checkFailed)
  }
}

/** Where the server of this RAMPART_HOME listens (it writes serve.json on start), else the default address. */
export function serverUrl(api?: string): string {
  return api || readServerInfo(rampartHome()).url || 'http://127.0.0.1:9090'
}

/** One JSON request to the server; connection failures and error statuses become one-line errors. */
export async function callServer<T>(flags: {api?: string | undefined; token?: string | undefined}, method: string, path: string, body?: unknown): Promise<{status: number; data: T}> {
  const base = serverUrl(flags.api)
  const token = flags.token ?? clientToken(rampartHome())
  let res: Response
  try {
    res = await fetch(new URL(path, base), {
      method,
      headers: {...(body === undefined ? {} : {'content-type': 'application/json'}), ...(token ? {authorization: `Bearer ${token}`} : {})},
      ...(body === undefined ? {} : {body: JSON.stringify(body)}),
      signal: AbortSignal.timeout(10_000),
    })
  } catch (error) {
    throw new ServerUnavailableError(`no rampart serve answers at ${base} (${(error as Error & {cause?: Error}).cause?.message ?? (error as Error).message}) — start it with rampart serve, or pass --api`)
  }
  const text = await res.text()
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    data = {error: text}
  }
  if (res.status === 401) throw new ServerUnavailableError(`the server at ${base} refused the token (401) — pass --token or set RAMPART_TOKEN to the value of rampart token`)
  return {status: res.status, data: data as T}
}
