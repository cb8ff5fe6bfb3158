import {mkdirSync, rmSync, writeFileSync} from 'node:fs'

import {readServerInfo, serverInfoFile, writeServerInfo} from '../core/approvals/server-info.js'
import {RampartError, ExitCode} from '../core/errors.js'
import {buildServer, type RampartServer, type ServerOptions} from './app.js'

export interface ServeOptions extends ServerOptions {
  host: string
  port: number
  /** Trailing-edge debounce of policy file changes. */
  debounceMs?: number
}

export interface RunningServer extends RampartServer {
  url: string
}

export class ServerLockedError extends RampartError {
  constructor(message: string) {
    super(message, ExitCode.checkFailed)
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

/**
 * Start `rampart serve`: one server per RAMPART_HOME (a lock names the holder), listening, watching every policy
 * source (an invalid edit keeps the old policy and is reported), and writing where it listens for the CLI.
 */
export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const log = o.log ?? (() => undefined)
  mkdirSync(o.rampartHome, {recursive: true, mode: 0o700})
  const release = await lockHome(o.rampartHome)
  let server: RampartServer
  try {
    server = buildServer(o)
  } catch (error) {
    await release()
    throw error
  }
  try {
    await server.app.listen({host: o.host, port: o.port})
  } catch (error) {
    await server.close()
    await release()
    const e = error as NodeJS.ErrnoException
    if (e.code === 'EADDRINUSE') throw new ServerLockedError(`port ${o.port} on ${o.host} is in use by another program — pick another with --port`)
    throw error
  }
  const address = server.app.server.address()
  const port = typeof address === 'object' && address ? address.port : o.port
  const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`
  server.baseUrl ||= url
  if (!LOOPBACK.has(o.host)) log(`warning: listening on ${o.host} without TLS — tokens and approvals cross the network in clear; put a TLS proxy in front or bind 127.0.0.1`)
  writeServerInfo(o.rampartHome, {pid: process.pid, url, started_at: new Date().toISOString()})

  const stopWatching = await watchPolicies(server, o.debounceMs ?? 200, log)
  const close = server.close
  let closing: Promise<void> | undefined
  return Object.assign(server, {
    url,
    close() {
      closing ??= (async () => {
        await stopWatching()
        await close()
        await release()
      })()
      return closing
    },
  })
}

async function lockHome(home: string): Promise<() => Promise<void>> {
  const lockfile = await import('proper-lockfile')
  const file = serverInfoFile(home)
  writeFileSync(file, '', {flag: 'a', mode: 0o600})
  for (let attempt = 0; ; attempt++) {
    try {
      return await lockfile.lock(file, {stale: 10_000, update: 2_000, realpath: false})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error
      // empty while the holder is still starting: no address written yet
      const info = readServerInfo(home)
      // a server killed with SIGKILL leaves its lock behind; a dead holder's lock is taken over at once
      if (attempt === 0 && info.pid !== undefined && !alive(info.pid)) {
        rmSync(`${file}.lock`, {recursive: true, force: true})
        continue
      }
      const holder = info.pid !== undefined ? `process ${info.pid} (${info.url ?? 'starting'})` : 'another process'
      throw new ServerLockedError(`rampart serve is already running for ${home}: ${holder} — stop it first, or use another RAMPART_HOME`)
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** chokidar on every policy source; changes settle for `debounceMs`, then one reload. */
async function watchPolicies(server: RampartServer, debounceMs: number, log: (line: string) => void): Promise<() => Promise<void>> {
  const {watch} = await import('chokidar')
  const watched = new Set(server.host.watchTargets())
  const watcher = watch([...watched], {ignoreInitial: true, awaitWriteFinish: false, depth: 1})
  let timer: NodeJS.Timeout | undefined
  const reload = () => {
    timer = undefined
    const r = server.host.reload()
    server.events.publish('policy.reload', server.host.lastReload)
    if (r.ok) log(`policy reloaded: ${r.policies} policies, ${r.rules} rules`)
    else log(`policy reload failed, keeping the last good policy: ${r.error}`)
  }
  watcher.on('all', () => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(reload, debounceMs)
  })
  watcher.on('error', (error) => log(`watcher: ${(error as Error).message}`))
  server.host.onChange = () => {
    const added = server.host.watchTargets().filter((t) => !watched.has(t))
    for (const t of added) watched.add(t)
    if (added.length) watcher.add(added)
  }
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()))
  return async () => {
    if (timer) clearTimeout(timer)
    await watcher.close()
  }
}
