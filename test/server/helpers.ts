import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach} from 'vitest'

import {startServer, type RunningServer, type ServeOptions} from '../../src/server/serve.js'
import {sandbox, write} from '../helpers.js'

export const ASK_POLICY = `version: "1"
default_action: allow
policies:
  - name: production-deploys
    match: {tool: [exec]}
    rules:
      - action: ask
        when: {command_matches: ["kubectl apply *"]}
        message: Production deployment requires approval
  - name: no-destruction
    match: {tool: [exec]}
    rules:
      - action: deny
        when: {command_matches: ["rm -rf /"]}
        message: Destructive command blocked
`

const running: RunningServer[] = []
afterEach(async () => {
  while (running.length) await running.pop()?.close()
})

export interface TestServer extends RunningServer {
  token: string
  home: string
  policyFile: string
  cwd: string
  env: Record<string, string>
  /** fetch against the server with the token. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{status: number; data: Record<string, unknown>}>
}

/** A real `rampart serve` on a free loopback port, in a sandbox, closed after the test. */
export async function serve(options: Partial<ServeOptions> & {policy?: string; home?: string} = {}): Promise<TestServer> {
  const s = sandbox()
  const home = options.home ?? s.rampartHome
  const policyFile = write(join(s.root, 'policy.yaml'), options.policy ?? ASK_POLICY)
  const env = {...s.env, RAMPART_HOME: home}
  const server = await startServer({
    rampartHome: home, env, cwd: s.cwd, host: '127.0.0.1', port: 0, load: {config: policyFile}, approvalTimeoutMs: 3_600_000, sign: false,
    debounceMs: 100, ...options,
  })
  running.push(server)
  const token = readFileSync(join(home, 'token'), 'utf8').trim()
  const api: TestServer['api'] = async (method, path, body, headers = {}) => {
    const res = await fetch(server.url + path, {
      method,
      headers: {authorization: `Bearer ${token}`, ...(body === undefined ? {} : {'content-type': 'application/json'}), ...headers},
      ...(body === undefined ? {} : {body: typeof body === 'string' ? body : JSON.stringify(body)}),
    })
    const text = await res.text()
    let data: Record<string, unknown>
    try {
      data = JSON.parse(text) as Record<string, unknown>
    } catch {
      data = {raw: text}
    }
    return {status: res.status, data}
  }
  return Object.assign(server, {token, home, policyFile, cwd: s.cwd, env, api})
}

export const ask = (server: TestServer, command = 'kubectl apply -f prod.yaml', extra: Record<string, unknown> = {}) =>
  server.api('POST', '/v1/tool/exec', {agent: 'claude-code', session: 'shop/main', params: {command}, ...extra})

export async function until<T>(fn: () => T | Promise<T>, ms = 5000): Promise<NonNullable<T>> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v as NonNullable<T>
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
