import {spawn, type ChildProcess} from 'node:child_process'
import {appendFileSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {sandbox, write} from '../helpers.js'
import {ASK_POLICY} from '../server/helpers.js'
import {BIN, rampartAsync} from './run.js'

const children: ChildProcess[] = []
afterEach(() => {
  while (children.length) children.pop()?.kill('SIGKILL')
})

interface Served {
  child: ChildProcess
  url: string
  token: string
  output: () => string
}

/** `rampart serve --port 0` as a real process; resolves once it prints where it listens. */
async function startServe(env: Record<string, string>, cwd: string, args: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {cwd, env: {PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env}})
  children.push(child)
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 20_000)
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m?.[1]) {
        clearTimeout(timer)
        resolve(m[1])
      }
    }
    child.stdout?.on('data', check)
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)))
  })
  const token = readFileSync(join(env.RAMPART_HOME ?? '', 'token'), 'utf8').trim()
  return {child, url, token, output: () => out}
}

function setup() {
  const s = sandbox()
  const policy = write(join(s.root, 'policy.yaml'), ASK_POLICY)
  return {...s, policy}
}

const post = (srv: Served, path: string, body: unknown) =>
  fetch(srv.url + path, {method: 'POST', headers: {authorization: `Bearer ${srv.token}`, 'content-type': 'application/json'}, body: JSON.stringify(body)})

describe('rampart serve, pending, approve, deny, token (real processes)', () => {
  it('the seed flow: an ask shows in rampart pending, rampart approve resolves it, rampart deny another', async () => {
    const s = setup()
    const srv = await startServe(s.env, s.cwd, ['--config', s.policy])
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const a = (await (await post(srv, '/v1/tool/exec', {agent: 'claude-code', params: {command: 'kubectl apply -f prod.yaml'}})).json()) as {approval_id: string}
    const b = (await (await post(srv, '/v1/tool/exec', {agent: 'claude-code', params: {command: 'kubectl apply -f db.yaml'}})).json()) as {approval_id: string}
    const pending = await rampartAsync(['pending'], {cwd: s.cwd, env: s.env})
    expect(pending.code).toBe(0)
    const lines = pending.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^ID\s+Tool\s+Command\s+Agent\s+Age$/)
    expect(lines[1]).toMatch(new RegExp(`^${a.approval_id}\\s+exec\\s+kubectl apply -f prod.yaml\\s+claude-code\\s+0m ago$`))
    const approve = await rampartAsync(['approve', a.approval_id], {cwd: s.cwd, env: s.env})
    expect(approve.stdout).toContain('✓ Approved — command will execute')
    expect(approve.code).toBe(0)
    const deny = await rampartAsync(['deny', b.approval_id, '--json'], {cwd: s.cwd, env: s.env})
    expect(JSON.parse(deny.stdout)).toEqual({id: b.approval_id, status: 'denied', approved: false, persisted: false})
    const again = await rampartAsync(['approve', a.approval_id], {cwd: s.cwd, env: s.env})
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/already resolved/)
    const none = await rampartAsync(['pending', '--json'], {cwd: s.cwd, env: s.env})
    expect(JSON.parse(none.stdout)).toEqual({approvals: [], runs: []})
    // a second server on the same RAMPART_HOME names the first
    const second = await rampartAsync(['serve', '--port', '0', '--config', s.policy], {cwd: s.cwd, env: s.env})
    expect(second.code).toBe(1)
    expect(second.stderr).toContain(`process ${srv.child.pid}`)
  })

  it('rampart token prints a 0600 token and --rotate replaces it; a wrong token is reported, not a crash', async () => {
    const s = setup()
    const first = await rampartAsync(['token'], {cwd: s.cwd, env: s.env})
    expect(first.stdout.trim()).toMatch(/^[0-9a-f]{64}$/)
    expect(statSync(join(s.rampartHome, 'token')).mode & 0o777).toBe(0o600)
    expect((await rampartAsync(['token'], {cwd: s.cwd, env: s.env})).stdout).toBe(first.stdout)
    const rotated = await rampartAsync(['token', '--rotate'], {cwd: s.cwd, env: s.env})
    expect(rotated.stdout.trim()).toMatch(/^[0-9a-f]{64}$/)
    expect(rotated.stdout).not.toBe(first.stdout)
    const srv = await startServe(s.env, s.cwd, ['--config', s.policy])
    const wrong = await rampartAsync(['pending', '--token', 'nope'], {cwd: s.cwd, env: s.env})
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/refused the token/)
    srv.child.kill('SIGTERM')
    const down = await rampartAsync(['pending', '--api', 'http://127.0.0.1:1'], {cwd: s.cwd, env: s.env})
    expect(down.code).toBe(1)
    expect(down.stderr).toMatch(/^rampart: no rampart serve answers at http:\/\/127.0.0.1:1 .* start it with rampart serve/)
  })

  it('SIGKILL during a burst of resolutions: every acknowledged one survives the restart; a torn last line is reported', async () => {
    const s = setup()
    const srv = await startServe(s.env, s.cwd, ['--config', s.policy])
    const ids: string[] = []
    for (let i = 0; i < 300; i += 50) {
      const batch = await Promise.all(Array.from({length: 50}, async (_, j) => ((await (await post(srv, '/v1/approvals', {tool: 'exec', agent: 'a', message: 'm', command: `job ${i + j}`})).json()) as {id: string}).id))
      ids.push(...batch)
    }
    const acknowledged: string[] = []
    let killed = false
    await Promise.all(ids.map(async (id, i) => {
      try {
        const res = await post(srv, `/v1/approvals/${id}/resolve`, {approved: i % 2 === 0})
        if (res.status === 200) acknowledged.push(id)
        if (acknowledged.length >= 60 && !killed) {
          killed = true
          srv.child.kill('SIGKILL')
        }
      } catch {
        // the connection died with the server: not acknowledged
      }
    }))
    expect(killed).toBe(true)
    expect(acknowledged.length).toBeGreaterThanOrEqual(60)
    await new Promise((r) => (srv.child.exitCode !== null || srv.child.signalCode !== null ? r(undefined) : srv.child.once('exit', r)))
    // a write torn by the kill
    appendFileSync(join(s.rampartHome, 'approvals.jsonl'), '{"op":"resolve","id":"01TORN')
    const again = await startServe(s.env, s.cwd, ['--config', s.policy])
    for (const id of acknowledged) {
      const got = (await (await fetch(`${again.url}/v1/approvals/${id}`, {headers: {authorization: `Bearer ${again.token}`}})).json()) as {status: string}
      expect(got.status, id).not.toBe('pending')
    }
    const status = (await (await fetch(`${again.url}/v1/status`, {headers: {authorization: `Bearer ${again.token}`}})).json()) as {recovery: string[]}
    expect(status.recovery.join('\n')).toMatch(/approvals\.jsonl:\d+/)
    expect(again.output()).toMatch(/approvals: .*approvals\.jsonl:\d+/)
  }, 60_000)
})
