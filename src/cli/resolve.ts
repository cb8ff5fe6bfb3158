import {callServer} from './server-client.js'
import {ExitCode, RampartError} from '../core/errors.js'

export interface Resolution {
  id: string
  status: string
  approved: boolean
  persisted: boolean
}

/** `rampart approve` / `rampart deny`: one resolution, with the server's refusal turned into a one-line error. */
export async function resolveApproval(flags: {api?: string | undefined; token?: string | undefined}, id: string, approved: boolean, persist: boolean): Promise<Resolution> {
  const {status, data} = await callServer<Resolution & {error?: string}>(flags, 'POST', `/v1/approvals/${encodeURIComponent(id)}/resolve`, {approved, resolved_by: `cli:${process.env.USER ?? 'user'}`, persist})
  if (status === 404) throw new RampartError(`no pending approval ${id} — list them with rampart pending`, ExitCode.checkFailed)
  if (status === 410) throw new RampartError(`${data.error ?? `approval ${id} was already resolved`}`, ExitCode.checkFailed)
  if (status !== 200) throw new RampartError(`the server refused (${status}): ${data.error ?? 'unknown error'}`, ExitCode.checkFailed)
  return data
}
