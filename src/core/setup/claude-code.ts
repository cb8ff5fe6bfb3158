import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {RampartError} from '../errors.js'

export interface SetupOptions {
  /** ~/.claude/settings.json, or the project's .claude/settings.json */
  file: string
  /** token: a literal token, or undefined to send $RAMPART_TOKEN from Claude Code's environment. */
  http?: {url: string; token?: string}
  command?: string
  /** Seconds Claude Code waits for the hook; when it gives up it lets the call run, so a hook that waits for a
   * person (PR-comment approvals) needs more than the default. */
  timeout?: number
}

const MARK = 'rampart hook claude-code'
const EVENTS = ['PreToolUse', 'PostToolUse'] as const

type Settings = Record<string, unknown> & {hooks?: Record<string, Array<{matcher?: string; hooks?: Array<Record<string, unknown>>}>>}

const backupOf = (file: string) => `${file}.rampart-backup`

function readSettings(file: string): {settings: Settings; text: string | undefined} {
  if (!existsSync(file)) return {settings: {}, text: undefined}
  const text = readFileSync(file, 'utf8')
  try {
    const value = text.trim() === '' ? {} : JSON.parse(text)
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object')
    return {settings: value as Settings, text}
  } catch (error) {
    throw new RampartError(`${file}:1:1: the Claude Code settings are not valid JSON (${(error as Error).message}) — fix the file first; nothing was changed`, 5)
  }
}

const isOurs = (h: Record<string, unknown>) => (typeof h.command === 'string' && h.command.includes(MARK)) || (typeof h.url === 'string' && h.url.includes('/v1/hooks/claude-code'))

function withoutOurs(settings: Settings): Settings {
  const out: Settings = {...settings}
  if (!settings.hooks) return out
  const hooks: NonNullable<Settings['hooks']> = {}
  for (const [event, groups] of Object.entries(settings.hooks)) {
    const kept = groups.map((g) => ({...g, hooks: (g.hooks ?? []).filter((h) => !isOurs(h))})).filter((g) => (g.hooks ?? []).length > 0)
    if (kept.length > 0) hooks[event] = kept
  }
  if (Object.keys(hooks).length > 0) out.hooks = hooks
  else delete out.hooks
  return out
}

/**
 * Add Rampart's PreToolUse and PostToolUse hooks (matcher `*`) to a Claude Code settings file. Everything else in
 * the file is kept; running it twice changes nothing; the first run saves a backup that `removeHook` restores.
 */
export function installHook(o: SetupOptions): {changed: boolean; file: string; backup: string} {
  const {settings, text} = readSettings(o.file)
  const backup = backupOf(o.file)
  mkdirSync(dirname(o.file), {recursive: true})
  if (!existsSync(backup)) writeFileSync(backup, text === undefined ? '' : text, {mode: 0o600})
  if (text === undefined) writeFileSync(`${backup}.absent`, '')
  const entry: Record<string, unknown> = o.http
    ? {type: 'http', url: o.http.url, ...(o.http.token
      ? {headers: {Authorization: `Bearer ${o.http.token}`}}
      // Claude Code fills $VAR in headers only for variables listed in allowedEnvVars
      : {headers: {Authorization: 'Bearer $RAMPART_TOKEN'}, allowedEnvVars: ['RAMPART_TOKEN']})}
    : {type: 'command', command: o.command ?? MARK, ...(o.timeout === undefined ? {} : {timeout: o.timeout})}
  const next = withoutOurs(settings)
  const hooks = {...(next.hooks ?? {})}
  for (const event of EVENTS) hooks[event] = [...(hooks[event] ?? []), {matcher: '*', hooks: [entry]}]
  next.hooks = hooks
  const out = JSON.stringify(next, null, 2) + '\n'
  if (out === text) return {changed: false, file: o.file, backup}
  mkdirSync(dirname(o.file), {recursive: true})
  writeFileSync(o.file, out)
  return {changed: true, file: o.file, backup}
}

/** Undo installHook: the exact previous file when nothing else changed since, else only Rampart's entries removed. */
export function removeHook(file: string): {restored: 'backup' | 'entries' | 'nothing'} {
  const backup = backupOf(file)
  const {settings, text} = readSettings(file)
  const cleaned = withoutOurs(settings)
  if (existsSync(backup)) {
    const absent = existsSync(`${backup}.absent`)
    const before = absent ? {} : readSettings(backup).settings
    if (JSON.stringify(cleaned) === JSON.stringify(before)) {
      if (absent) rmSync(file, {force: true})
      else writeFileSync(file, readFileSync(backup, 'utf8'))
      rmSync(backup, {force: true})
      rmSync(`${backup}.absent`, {force: true})
      return {restored: 'backup'}
    }
  }
  if (text === undefined || JSON.stringify(cleaned) === JSON.stringify(settings)) return {restored: 'nothing'}
  writeFileSync(file, JSON.stringify(cleaned, null, 2) + '\n')
  return {restored: 'entries'}
}

export function settingsFile(project: boolean, cwd: string, home: string): string {
  return project ? join(cwd, '.claude', 'settings.json') : join(home, '.claude', 'settings.json')
}

/** What of Rampart a Claude Code settings file holds: the command hook, the HTTP hook (its URL), or neither. */
export function installedHook(file: string): {command: boolean; http: string | undefined} | undefined {
  let settings: Settings
  try {
    settings = readSettings(file).settings
  } catch {
    return undefined
  }
  let command = false
  let http: string | undefined
  for (const groups of Object.values(settings.hooks ?? {})) {
    for (const g of groups) {
      for (const h of g.hooks ?? []) {
        if (!isOurs(h)) continue
        if (h.type === 'http' && typeof h.url === 'string') http = h.url
        else command = true
      }
    }
  }
  return command || http ? {command, http} : undefined
}
