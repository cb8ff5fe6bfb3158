import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

/** Where `rampart serve` says who it is and where it listens: the CLI, the hook and a second server read it. */
export function serverInfoFile(rampartHome: string): string {
  return join(rampartHome, 'serve.json')
}

export interface ServerInfo {
  pid?: number
  url?: string
  started_at?: string
}

export function writeServerInfo(rampartHome: string, info: Required<ServerInfo>): void {
  writeFileSync(serverInfoFile(rampartHome), JSON.stringify(info) + '\n', {mode: 0o600})
}

/** What the last server of this RAMPART_HOME wrote; empty when none has run (or it is still starting). */
export function readServerInfo(rampartHome: string): ServerInfo {
  try {
    const info = JSON.parse(readFileSync(serverInfoFile(rampartHome), 'utf8')) as unknown
    return info && typeof info === 'object' ? (info as ServerInfo) : {}
  } catch {
    return {}
  }
}
