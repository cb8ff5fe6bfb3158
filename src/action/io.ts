import {readFileSync} from 'node:fs'

export type Env = Record<string, string | undefined>

/** Where an annotation points (GitHub's workflow command properties). */
export interface Annotation {
  title?: string
  file?: string
  startLine?: number
  startColumn?: number
}

/**
 * What a mode needs from its host: `@actions/core` provides all of it, tests pass stand-ins. The optional members
 * fall back to `@actions/core`'s; `env` to process.env.
 */
export interface ActionIO {
  env?: Env
  getInput(name: string): string
  info(message: string): void
  warning(message: string, properties?: Annotation): void
  error?(message: string, properties?: Annotation): void
  setFailed(message: string): void
  setOutput?(name: string, value: string | number): void
  exportVariable?(name: string, value: string): void
  setSecret?(value: string): void
  summary?: {addRaw(text: string, addEOL?: boolean): unknown; write(): Promise<unknown>}
}

/** The workflow's event payload (GITHUB_EVENT_PATH); undefined when there is none or it is not a JSON object. */
export function readEvent<T extends object>(file: string | undefined): T | undefined {
  if (!file) return undefined
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown
    return parsed && typeof parsed === 'object' ? (parsed as T) : undefined
  } catch {
    return undefined
  }
}

/** A positive number from a setting (an environment variable, a header); undefined for anything else. */
export function positive(text: string | undefined): number | undefined {
  const n = text === undefined || text.trim() === '' ? NaN : Number(text)
  return Number.isFinite(n) && n > 0 ? n : undefined
}

/** A GitHub login (39 characters at most, letters, digits and inner hyphens), an app's with its [bot] suffix. */
export const LOGIN = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}(?:\[bot\])?$/

const WRITE_PERMISSIONS = ['admin', 'maintain', 'write']

/** Whether a collaborator permission (GET .../collaborators/{login}/permission) allows writing to the repository. */
export function hasWriteAccess(level: {permission: string; role_name?: unknown}): boolean {
  return WRITE_PERMISSIONS.includes(level.permission) || (typeof level.role_name === 'string' && WRITE_PERMISSIONS.includes(level.role_name))
}
