import {spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {AuditLog, type AuditInput} from '../../src/core/audit/log.js'
import {sandbox} from '../helpers.js'
import {BIN, rampart} from './run.js'

const input = (n: number): AuditInput => ({
  tool: 'exec',
  agent: 'claude-code',
  session: 'myapp/main',
  request: {command: `kubectl apply -f prod-${n}.yaml --token abc${n}`},
  decision: {action: 'ask', resolved: 'approved', resolved_by: 'user@localhost', matched_policies: ['production-deploys'], message: 'Production deployment requires approval'},
})

function clock(iso: string): () => Date {
  let t = Date.parse(iso)
  return () => new Date((t += 1000))
}

describe('rampart audit verify', () => {
  it('an absent trail is intact', () => {
    const s = sandbox()
    const r = rampart(['audit', 'verify'], s)
    expect(r.stdout.trim()).toBe('audit trail intact: 0 events in 0 files')
    expect(r.code).toBe(0)
  })

  it('exit 0 when intact, exit 1 naming the first changed line', () => {
    const s = sandbox()
    const log = new AuditLog(s.rampartHome, {now: clock('2026-03-03T14:23:14Z')})
    for (let i = 0; i < 3; i++) log.append(input(i))
    const ok = rampart(['audit', 'verify'], s)
    expect(ok).toMatchObject({code: 0, stdout: 'audit trail intact: 3 events in 1 file\n'})
    expect(JSON.parse(rampart(['audit', 'verify', '--json'], s).stdout)).toEqual({ok: true, files: 1, events: 3})

    const file = join(s.rampartHome, 'audit', '2026-03-03.jsonl')
    writeFileSync(file, readFileSync(file, 'utf8').replace('prod-1.yaml', 'prod-9.yaml'))
    const bad = rampart(['audit', 'verify'], s)
    expect(bad.code).toBe(1)
    expect(bad.stdout).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: hash .* does not match the event's content — the audit trail was changed after it was written\n$`))
    const json = rampart(['audit', 'verify', '--json'], s)
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({ok: false, file, line: 2, files: 1, events: 1})
  })
})

describe('rampart audit tail', () => {
  it('--json -n 2 prints the last two events as stored, one per line; text names action, command and policy', () => {
    const s = sandbox()
    const log = new AuditLog(s.rampartHome, {now: clock('2026-03-03T14:23:14Z')})
    for (let i = 0; i < 3; i++) log.append(input(i))
    const stored = readFileSync(join(s.rampartHome, 'audit', '2026-03-03.jsonl'), 'utf8').trim().split('\n')
    const r = rampart(['audit', 'tail', '--json', '-n', '2'], s)
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(stored.slice(1).join('\n') + '\n')
    expect(r.stdout).not.toContain('abc1')

    const text = rampart(['audit', 'tail'], s).stdout.trim().split('\n')
    expect(text).toHaveLength(3)
    expect(text[2]).toMatch(/^2026-03-03T14:23:17\.000Z {2}ASK\/approved +exec +kubectl apply -f prod-2\.yaml --token \[REDACTED\] {2}claude-code {2}myapp\/main {2}\(production-deploys\) user@localhost$/)
    expect(rampart(['audit', 'tail', '-n', '0'], s).stdout).toBe('')
  })

  it('--follow prints events appended after it started, also in a new day file, until SIGTERM', async () => {
    const s = sandbox()
    new AuditLog(s.rampartHome, {now: clock('2026-03-03T23:59:50Z')}).append(input(0))
    const child = spawn(process.execPath, [BIN, 'audit', 'tail', '--follow', '--json', '-n', '1'], {
      cwd: s.cwd,
      env: {PATH: process.env.PATH ?? '', NO_COLOR: '1', ...s.env},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    const waitFor = async (pred: () => boolean, what: string) => {
      for (const end = Date.now() + 15_000; !pred(); await new Promise((r) => setTimeout(r, 50))) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; stdout: ${stdout} stderr: ${stderr}`)
      }
    }
    try {
      await waitFor(() => stdout.includes('prod-0.yaml'), 'the existing event')
      const sameDay = new AuditLog(s.rampartHome, {now: clock('2026-03-03T23:59:55Z')}).append(input(1))
      const nextDay = new AuditLog(s.rampartHome, {now: clock('2026-03-04T00:00:01Z')}).append(input(2))
      await waitFor(() => stdout.includes(nextDay.id), 'the appended events')
      const events = stdout.trim().split('\n').map((l) => JSON.parse(l) as {id: string})
      expect(events.map((e) => e.id).slice(1)).toEqual([sameDay.id, nextDay.id])
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
    expect(stderr).toBe('')
  })
})
