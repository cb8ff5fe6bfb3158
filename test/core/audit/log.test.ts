import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {appendFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import {AuditLog, auditFiles, canonicalJson, GENESIS_HASH, type AuditInput} from '../../../src/core/audit/log.js'
import {readAuditEvents, verifyAudit} from '../../../src/core/audit/verify.js'
import {sandbox} from '../../helpers.js'

const input = (n: number, extra: Partial<AuditInput> = {}): AuditInput => ({
  tool: 'exec',
  agent: 'claude-code',
  session: 'myapp/main',
  request: {command: `kubectl apply -f prod-${n}.yaml`},
  decision: {action: 'ask', resolved: 'approved', resolved_by: 'user@localhost', matched_policies: ['production-deploys'], message: 'Production deployment requires approval'},
  ...extra,
})

/** A clock that starts at `iso` and moves one second per call. */
function clock(iso: string): () => Date {
  let t = Date.parse(iso)
  return () => new Date((t += 1000))
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '')

describe('canonicalJson', () => {
  it('sorts keys at every level, keeps array order, no whitespace', () => {
    expect(canonicalJson({b: 1, a: {d: [3, {z: 1, y: 'é'}], c: null}, u: undefined})).toBe('{"a":{"c":null,"d":[3,{"y":"é","z":1}]},"b":1}')
  })
})

describe('AuditLog', () => {
  it('chains events: prev_hash is the previous hash, hash covers prev_hash and the event', () => {
    const s = sandbox()
    const log = new AuditLog(s.rampartHome, {now: clock('2026-03-03T14:23:14Z')})
    const events = [log.append(input(1)), log.append(input(2)), log.append(input(3, {id: 'abc123'}))]
    const file = join(s.rampartHome, 'audit', '2026-03-03.jsonl')
    expect(auditFiles(s.rampartHome)).toEqual([file])
    const stored = lines(file).map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(stored).toEqual(events)
    expect(Object.keys(stored[0] as object)).toEqual(['id', 'timestamp', 'tool', 'agent', 'session', 'request', 'decision', 'prev_hash', 'hash'])
    expect(Object.keys(stored[0]?.decision as object)).toEqual(['action', 'resolved', 'resolved_by', 'matched_policies', 'message'])
    expect(events[0]?.prev_hash).toBe(GENESIS_HASH)
    expect(events[0]?.timestamp).toBe('2026-03-03T14:23:15.000Z')
    expect(events[0]?.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/)
    expect(events[2]?.id).toBe('abc123')
    for (let i = 0; i < events.length; i++) {
      const {hash, ...rest} = events[i] as unknown as Record<string, unknown>
      expect(hash).toBe('sha256:' + createHash('sha256').update(String(rest.prev_hash) + canonicalJson(rest)).digest('hex'))
      if (i > 0) expect(rest.prev_hash).toBe(events[i - 1]?.hash)
    }
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(join(s.rampartHome, 'audit')).mode & 0o777).toBe(0o700)
    expect(verifyAudit(s.rampartHome)).toEqual({ok: true, files: 1, events: 3})
  })

  it('continues the chain into the next day file (UTC date of the event)', () => {
    const s = sandbox()
    const log = new AuditLog(s.rampartHome, {now: clock('2026-03-03T23:59:57Z')})
    const events = Array.from({length: 5}, (_, i) => log.append(input(i)))
    const [day1, day2] = auditFiles(s.rampartHome)
    expect(day1).toMatch(/2026-03-03\.jsonl$/)
    expect(day2).toMatch(/2026-03-04\.jsonl$/)
    expect(lines(day1 as string)).toHaveLength(2)
    const firstOfDay2 = JSON.parse(lines(day2 as string)[0] as string) as {prev_hash: string}
    expect(firstOfDay2.prev_hash).toBe(events[1]?.hash)
    // a later process (no memory of the last hash) chains from the newest file's tail
    new AuditLog(s.rampartHome, {now: clock('2026-03-05T08:00:00Z')}).append(input(9))
    expect(verifyAudit(s.rampartHome)).toEqual({ok: true, files: 3, events: 6})
    expect(readAuditEvents(s.rampartHome, {limit: 4}).map((e) => e.request.command)).toEqual([2, 3, 4, 9].map((n) => `kubectl apply -f prod-${n}.yaml`))
    expect(readAuditEvents(s.rampartHome)).toHaveLength(6)
  })

  it('never writes into an older file than the newest one, so the chain stays in file order', () => {
    const s = sandbox()
    const log = new AuditLog(s.rampartHome, {now: clock('2026-03-04T10:00:00Z')})
    log.append(input(1))
    const late = log.append(input(2, {timestamp: '2026-03-02T10:00:00Z'}))
    expect(late.timestamp).toBe('2026-03-02T10:00:00Z')
    expect(auditFiles(s.rampartHome).map((f) => f.slice(-16))).toEqual(['2026-03-04.jsonl'])
    expect(verifyAudit(s.rampartHome)).toMatchObject({ok: true, events: 2})
  })

  it('chains from the tail of a newest file larger than the part it reads', () => {
    const s = sandbox()
    const log = new AuditLog(s.rampartHome, {now: clock('2026-03-03T10:00:00Z')})
    for (let i = 0; i < 120; i++) log.append(input(i, {decision: {action: 'deny', matched_policies: [], message: 'x'.repeat(1000)}}))
    expect(statSync(auditFiles(s.rampartHome)[0] as string).size).toBeGreaterThan(64 * 1024)
    expect(verifyAudit(s.rampartHome)).toEqual({ok: true, files: 1, events: 120})
    expect(readAuditEvents(s.rampartHome, {limit: 100})).toHaveLength(100)
  })

  it('an event longer than the tail it reads first does not break the chain; huge requests are clipped', () => {
    const s = sandbox()
    const log = new AuditLog(s.rampartHome, {now: clock('2026-03-03T10:00:00Z')})
    log.append(input(1))
    // the message is not clipped: the event line is ~100 KB, longer than the 64 KB tail
    log.append(input(2, {decision: {action: 'deny', matched_policies: [], message: 'm'.repeat(100_000)}}))
    const clipped = log.append(input(3, {request: {command: `echo ${'a'.repeat(70_000)}`}}))
    expect(clipped.request.command?.length).toBeLessThan(17_000)
    expect(clipped.request.command).toMatch(/more characters not recorded\]$/)
    log.append(input(4))
    expect(verifyAudit(s.rampartHome)).toEqual({ok: true, files: 1, events: 4})
  })

  it('redacts secrets before hashing: they never reach the file', () => {
    const s = sandbox()
    const secrets = ['hunter2', 'AKIAIOSFODNN7EXAMPLE', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz', 'xoxb-1234567890-abcdefghij', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'topsecretbearer', 's3cr3tpw']
    const log = new AuditLog(s.rampartHome)
    const event = log.append({
      tool: 'exec',
      agent: 'claude-code',
      session: 'myapp/main',
      request: {command: `mysql password=hunter2 && AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY aws s3 ls && echo AKIAIOSFODNN7EXAMPLE`, url: 'https://bob:s3cr3tpw@example.com/x'},
      decision: {action: 'deny', matched_policies: ['block-ghp_abcdefghijklmnopqrstuvwxyz0123456789'], message: 'leaked sk-ant-api03-abcdefghijklmnopqrstuvwxyz and xoxb-1234567890-abcdefghij', resolved_by: 'Authorization: Bearer topsecretbearer'},
    })
    const raw = readFileSync(auditFiles(s.rampartHome)[0] as string, 'utf8')
    for (const secret of secrets) expect(raw).not.toContain(secret)
    expect(event.request.command).toBe('mysql password=[REDACTED] && AWS_SECRET_ACCESS_KEY=[REDACTED] aws s3 ls && echo [REDACTED]')
    expect(event.request.url).toBe('https://bob:[REDACTED]@example.com/x')
    expect(verifyAudit(s.rampartHome)).toMatchObject({ok: true, events: 1})
  })

  it('keeps one chain with several processes appending at once', async () => {
    const s = sandbox()
    const module = fileURLToPath(new URL('../../../dist/core/audit/log.js', import.meta.url))
    // each process spins until a shared start time so that they really race for the lock
    const start = Date.now() + 800
    const script = `import {AuditLog} from ${JSON.stringify(module)}
      const log = new AuditLog(process.argv[1]); while (Date.now() < ${start});
      for (let i = 0; i < 25; i++) log.append({tool: 'exec', agent: 'p' + process.pid, session: 's', request: {command: 'echo ' + i + ' token=abc'}, decision: {action: 'deny', matched_policies: [], message: 'm'}})`
    const codes = await Promise.all(Array.from({length: 4}, () => new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, s.rampartHome], {stdio: ['ignore', 'inherit', 'inherit']})
      child.on('error', reject)
      child.on('close', resolve)
    })))
    expect(codes).toEqual([0, 0, 0, 0])
    expect(verifyAudit(s.rampartHome)).toMatchObject({ok: true, events: 100})
    const events = readAuditEvents(s.rampartHome)
    expect(new Set(events.map((e) => e.id)).size).toBe(100)
    expect(new Set(events.map((e) => e.agent)).size).toBe(4)
  })

  it('says what failed and how to fix it when the trail cannot be written', () => {
    const s = sandbox()
    // a folder where the day file should be: fails even for root, unlike a read-only folder
    mkdirSync(join(s.rampartHome, 'audit', '2026-03-03.jsonl'), {recursive: true})
    const log = new AuditLog(s.rampartHome, {now: clock('2026-03-03T10:00:00Z')})
    expect(() => log.append(input(1))).toThrow(/^cannot write the audit trail .*audit\/2026-03-03\.jsonl \(EISDIR\) — make RAMPART_HOME writable$/)
  })
})

describe('verifyAudit', () => {
  function trail(days = 1): {home: string; files: string[]} {
    const s = sandbox()
    for (let d = 0; d < days; d++) {
      const day = new AuditLog(s.rampartHome, {now: clock(`2026-03-0${3 + d}T10:00:00Z`)})
      for (let i = 0; i < 5; i++) day.append(input(i, {decision: {action: 'deny', matched_policies: ['p'], message: `m ${d} ${i} ✓`}}))
    }
    return {home: s.rampartHome, files: auditFiles(s.rampartHome)}
  }

  it('an empty or missing folder is intact', () => {
    const s = sandbox()
    expect(verifyAudit(s.rampartHome)).toEqual({ok: true, files: 0, events: 0})
  })

  it('flipping any byte of line k names that file and line k', () => {
    const {home, files} = trail(2)
    const file = files[1] as string
    const original = readFileSync(file)
    const starts = [0]
    for (let i = 0; i < original.length; i++) if (original[i] === 10) starts.push(i + 1)
    const k = 3
    for (let at = starts[k - 1] as number; at < (starts[k] as number); at++) {
      const changed = Buffer.from(original)
      changed[at] = (changed[at] as number) ^ 1
      writeFileSync(file, changed)
      const result = verifyAudit(home)
      expect(result, `byte ${at}`).toMatchObject({ok: false, file, line: k, files: 2, events: 5 + k - 1})
    }
    writeFileSync(file, original)
    expect(verifyAudit(home)).toEqual({ok: true, files: 2, events: 10})
  })

  it('a deleted line breaks the chain at that line; so does a removed day file', () => {
    const {home, files} = trail(2)
    const file = files[0] as string
    const kept = lines(file).filter((_, i) => i !== 1)
    writeFileSync(file, kept.join('\n') + '\n')
    expect(verifyAudit(home)).toMatchObject({ok: false, file, line: 2, problem: expect.stringContaining('does not continue the chain')})

    const three = trail(3)
    rmSync(three.files[1] as string)
    expect(verifyAudit(three.home)).toMatchObject({ok: false, file: three.files[2], line: 1, files: 2, events: 5})
  })

  it('a torn or garbage line is named, and a later append starts on a line of its own', () => {
    const {home, files} = trail(1)
    const file = files[0] as string
    appendFileSync(file, '{"id":"01J","timestamp":"2026-03-03T10:00')
    expect(verifyAudit(home)).toMatchObject({ok: false, file, line: 6, problem: expect.stringContaining('not a JSON event')})
    const next = new AuditLog(home, {now: clock('2026-03-03T11:00:00Z')}).append(input(7))
    const all = lines(file)
    expect(all).toHaveLength(7)
    expect(JSON.parse(all[6] as string)).toEqual(next)
    expect(verifyAudit(home)).toMatchObject({ok: false, line: 6})

    const other = trail(1)
    const f = other.files[0] as string
    writeFileSync(f, lines(f).map((l, i) => (i === 2 ? 'garbage' : l)).join('\n') + '\n')
    expect(verifyAudit(other.home)).toMatchObject({ok: false, file: f, line: 3, events: 2})
  })
})
