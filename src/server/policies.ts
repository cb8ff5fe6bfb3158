import {mkdirSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'

import {findProjectRoot, loadPolicy, rampartHome, type LoadOptions, type PolicySet} from '../core/policy/load.js'

export interface ReloadState {
  at: string
  ok: boolean
  /** The first problem, `file:line:col: what — fix`, when the last reload failed and the old policy stayed. */
  error?: string
}

/**
 * The server's loaded policies: one layered set per project (calls carry their working folder), all compiled
 * eagerly. Each set reloads on its own: a set that fails to load keeps its last good version, and the others —
 * the user's global files included — still take the change (one broken repository must not freeze every other).
 */
export class PolicyHost {
  private sets = new Map<string, PolicySet>()
  private readonly rootOf = new Map<string, string>()
  lastReload: ReloadState = {at: new Date().toISOString(), ok: true}
  /** Called after a successful reload with the folders and files now in play (the watcher adds them). */
  onChange: (() => void) | undefined

  constructor(private readonly options: {cwd: string; env: Record<string, string | undefined>; load: Omit<LoadOptions, 'cwd' | 'env' | 'eager'>}) {}

  /** The set of the server's own folder; throws PolicyError when it is invalid (serve then refuses to start). */
  get base(): PolicySet {
    return this.forCwd(this.options.cwd)
  }

  forCwd(cwd: string): PolicySet {
    let key = this.rootOf.get(cwd)
    if (key === undefined) {
      key = findProjectRoot(cwd) ?? ''
      // bounded: a flood of distinct folders must not grow memory without end
      if (this.rootOf.size > 10_000) this.rootOf.clear()
      this.rootOf.set(cwd, key)
    }
    let set = this.sets.get(key)
    if (!set) {
      set = this.load(key || this.options.cwd)
      this.sets.set(key, set)
      this.onChange?.()
    }
    return set
  }

  reload(): {ok: true; policies: number; rules: number} | {ok: false; error: string} {
    const keys = this.sets.size === 0 ? [findProjectRoot(this.options.cwd) ?? ''] : [...this.sets.keys()]
    const errors: string[] = []
    for (const key of keys) {
      try {
        this.sets.set(key, this.load(key || this.options.cwd))
      } catch (error) {
        errors.push((error as Error).message)
      }
    }
    this.onChange?.()
    if (errors.length > 0) {
      const error = errors.length === 1 ? errors[0] as string : `${errors[0] as string} (and ${errors.length - 1} more project(s) failing to load)`
      this.lastReload = {at: new Date().toISOString(), ok: false, error}
      return {ok: false, error}
    }
    this.lastReload = {at: new Date().toISOString(), ok: true}
    return {ok: true, ...this.counts()}
  }

  counts(): {policies: number; rules: number} {
    const set = this.base
    const enabled = set.policies.filter((p) => p.enabled)
    return {policies: enabled.length, rules: enabled.reduce((n, p) => n + p.rules.length, 0)}
  }

  /** Every policy source to watch: loaded files, the global folder, each project's .rampart folder. */
  watchTargets(): string[] {
    const home = rampartHome(this.options.env)
    const globalDir = join(home, 'policies')
    mkdirSync(globalDir, {recursive: true})
    const out = new Set<string>([globalDir])
    if (this.options.load.config) out.add(resolve(this.options.cwd, this.options.load.config))
    for (const [key, set] of this.sets) {
      if (key) out.add(join(key, '.rampart'))
      for (const f of set.files) if (dirname(f.file) !== globalDir) out.add(f.file)
    }
    return [...out]
  }

  private load(cwd: string): PolicySet {
    return loadPolicy({...this.options.load, cwd, env: this.options.env, eager: true})
  }
}
