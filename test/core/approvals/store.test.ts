import {spawn} from 'node:child_process'
import {appendFileSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, describe, expect, it, vi} from 'vitest'

import {ApprovalStore, QueueFullError, type Approval} from '../../../src/core/approvals/store.js'
import {tempDir} from '../../helpers.js'

// fs failures (a full disk) cannot be produced on demand, so fsyncSync can be made to fail from a test
const faults = vi.hoisted(() => ({fsync: undefined as NodeJS.ErrnoException | undefined}))
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>()
  return {
    ...real,
    fsyncSync: (fd: number) => {
      if (faults.fsync) throw faults.fsync
      real.fsyncSync(fd)
    },
  }
})

const HOUR = 3_600_000
const START = Date.UTC(2025, 0, 1, 12, 0, 0)

function clock(start = START): {now: () => number; advance: (ms: number) => void} {
  let t = start
  return {now: () => t, advance: (ms) => (t += ms)}
}

function journal(dir = tempDir()): string {
  return join(dir, 'approvals.jsonl')
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '')
}

const opened: ApprovalStore[] = []
function open(file: string, options: Parameters<typeof ApprovalStore.open>[1]): ApprovalStore {
  const store = ApprovalStore.open(file, options)
  opened.push(store)
  return store
}
afterEach(() => {
  faults.fsync = undefined
  while (opened.length) opened.pop()?.close()
})

const exec = (command: string, extra: Partial<Parameters<ApprovalStore['create']>[0]> = {}) => ({tool: 'exec', agent: 'claude-code', session: 'myapp/main', message: 'needs approval', command, ...extra})

describe('ApprovalStore', () => {
  it('creates, gets and lists pending approvals oldest first, with run groups of 2+', async () => {
    const c = clock()
    const store = open(journal(), {timeoutMs: HOUR, now: c.now})
    const a = store.create(exec('kubectl apply -f prod.yaml', {run_id: 'run-1', policy: 'prod-deploys'}))
    c.advance(10)
    const b = store.create({tool: 'write', agent: 'cursor', message: 'write outside the repo', path: '/etc/hosts', run_id: 'run-1'})
    c.advance(10)
    const d = store.create(exec('npm install left-pad', {run_id: 'run-2'}))
    expect(a.autoApproved).toBe(false)
    expect(a.approval).toMatchObject({tool: 'exec', command: 'kubectl apply -f prod.yaml', agent: 'claude-code', session: 'myapp/main', status: 'pending', policy: 'prod-deploys', run_id: 'run-1'})
    expect(a.approval.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/)
    expect(a.approval.created_at).toBe(new Date(START).toISOString())
    expect(a.approval.expires_at).toBe(new Date(START + HOUR).toISOString())
    expect(b.approval.session).toBe('')
    expect(store.get(b.approval.id)).toEqual(b.approval)
    expect(store.get('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBeUndefined()
    expect(store.pending().map((p) => p.id)).toEqual([a.approval.id, b.approval.id, d.approval.id])
    expect(store.runGroups()).toEqual([{run_id: 'run-1', count: 2, ids: [a.approval.id, b.approval.id]}])
    expect(store.size).toBe(3)
    expect(store.nextDeadline()).toBe(START + HOUR)
    // a returned copy cannot change the store
    store.pending()[0]!.status = 'approved'
    expect(store.get(a.approval.id)?.status).toBe('pending')
    await store.flush()
    expect(lines(store.file).map((l) => JSON.parse(l).op)).toEqual(['create', 'create', 'create'])
    expect(statSync(store.file).mode & 0o777).toBe(0o600)
  })

  it('refuses the 1001st pending approval with QueueFullError', () => {
    const store = open(journal(), {timeoutMs: HOUR})
    for (let i = 0; i < 1000; i++) store.create(exec(`echo ${i}`))
    expect(() => store.create(exec('echo one-too-many'))).toThrow(QueueFullError)
    expect(() => store.create(exec('echo one-too-many'))).toThrow(/queue is full \(1000 pending\)/)
    // a free slot takes a new one again
    store.resolve(store.pending()[0]!.id, {approved: false, resolved_by: 'api'})
    expect(store.create(exec('echo fits')).approval.status).toBe('pending')
  })

  it('resolves once: a second resolution of the same id is gone, an unknown id is not found', async () => {
    const c = clock()
    const store = open(journal(), {timeoutMs: HOUR, now: c.now})
    const {approval} = store.create(exec('terraform apply'))
    c.advance(5000)
    const first = store.resolve(approval.id, {approved: true, resolved_by: 'api', persisted: true})
    const second = store.resolve(approval.id, {approved: false, resolved_by: 'attacker'})
    expect(first).toEqual({ok: true, approval: expect.objectContaining({id: approval.id, status: 'approved', resolved_by: 'api', persisted: true, resolved_at: new Date(START + 5000).toISOString()})})
    expect(second).toEqual({ok: false, reason: 'gone'})
    expect(store.get(approval.id)?.status).toBe('approved')
    expect(store.resolve('01ARZ3NDEKTSV4RRFFQ69G5FAV', {approved: true, resolved_by: 'api'})).toEqual({ok: false, reason: 'not-found'})
    // persisting a denial means nothing
    const other = store.create(exec('rm -rf build')).approval
    expect(store.resolve(other.id, {approved: false, resolved_by: 'api', persisted: true})).toMatchObject({ok: true, approval: {status: 'denied', persisted: false}})
    expect(store.recent(10).map((a) => a.id)).toEqual([other.id, approval.id])
    expect(store.recent(1).map((a) => a.id)).toEqual([other.id])
    await store.flush()
  })

  it('bulk approval resolves the run and caches it: later calls of that run are auto-approved until the timeout', async () => {
    const c = clock()
    const file = journal()
    const store = open(file, {timeoutMs: HOUR, now: c.now})
    const ids = [store.create(exec('make deploy', {run_id: 'ci-42'})), store.create(exec('make migrate', {run_id: 'ci-42'}))].map((r) => r.approval.id)
    const other = store.create(exec('make deploy', {run_id: 'ci-43'})).approval
    const resolved = store.bulkResolve('ci-42', true, 'security-team')
    expect(resolved.map((a) => a.id)).toEqual(ids)
    expect(resolved.every((a) => a.status === 'approved' && a.resolved_by === 'security-team')).toBe(true)
    expect(store.pending().map((a) => a.id)).toEqual([other.id])
    expect(store.isRunApproved('ci-42')).toBe(true)
    expect(store.isRunApproved('ci-43')).toBe(false)

    const auto = store.create(exec('make smoke-test', {run_id: 'ci-42'}))
    expect(auto.autoApproved).toBe(true)
    expect(auto.approval).toMatchObject({status: 'approved', resolved_by: 'run-cache', run_id: 'ci-42'})
    expect(store.pending().map((a) => a.id)).toEqual([other.id])
    await store.flush()

    // the cache survives a restart, and ends with the timeout
    const again = open(file, {timeoutMs: HOUR, now: c.now})
    expect(again.isRunApproved('ci-42')).toBe(true)
    expect(again.get(auto.approval.id)?.resolved_by).toBe('run-cache')
    c.advance(HOUR)
    expect(again.isRunApproved('ci-42')).toBe(false)
    expect(again.create(exec('make smoke-test', {run_id: 'ci-42'})).autoApproved).toBe(false)
  })

  it('bulk denial resolves the run and withdraws an earlier bulk approval of it', async () => {
    const file = journal()
    const store = open(file, {timeoutMs: HOUR})
    store.bulkResolve('r', true, 'api')
    const pending = store.create(exec('a', {run_id: 'x'})).approval
    expect(store.bulkResolve('x', false, 'api')).toEqual([expect.objectContaining({id: pending.id, status: 'denied'})])
    expect(store.bulkResolve('r', false, 'api')).toEqual([])
    expect(store.isRunApproved('r')).toBe(false)
    await store.flush()
    expect(open(file, {timeoutMs: HOUR}).isRunApproved('r')).toBe(false)
  })

  it('expires pending approvals at their deadline as denied (status expired)', async () => {
    const c = clock()
    const store = open(journal(), {timeoutMs: 60_000, now: c.now})
    const early = store.create(exec('first')).approval
    c.advance(30_000)
    const late = store.create(exec('second')).approval
    expect(store.nextDeadline()).toBe(START + 60_000)
    c.advance(29_999)
    expect(store.expireDue()).toEqual([])
    c.advance(1)
    expect(store.expireDue()).toEqual([expect.objectContaining({id: early.id, status: 'expired', resolved_by: 'timeout', resolved_at: early.expires_at})])
    expect(store.nextDeadline()).toBe(START + 90_000)
    expect(store.resolve(early.id, {approved: true, resolved_by: 'api'})).toEqual({ok: false, reason: 'gone'})
    // past the deadline but before the timer fired: too late to approve all the same
    c.advance(30_000)
    expect(store.resolve(late.id, {approved: true, resolved_by: 'api'})).toEqual({ok: false, reason: 'gone'})
    expect(store.get(late.id)?.status).toBe('expired')
    expect(store.nextDeadline()).toBeUndefined()
    expect(store.pending()).toEqual([])
    await store.flush()
  })

  it('keeps pending approvals, their deadlines and resolutions across a restart, and expires overdue ones on open', async () => {
    const c = clock()
    const file = journal()
    const store = open(file, {timeoutMs: HOUR, now: c.now})
    const a = store.create(exec('one')).approval
    c.advance(1000)
    const b = store.create(exec('two', {params: {command: 'two', env: {CI: '1'}}})).approval
    const d = store.create(exec('three')).approval
    store.resolve(d.id, {approved: true, resolved_by: 'cli'})
    await store.flush()
    store.close()

    // a restart with another timeout keeps the deadlines set at creation
    const reopened = open(file, {timeoutMs: 5 * HOUR, now: c.now})
    expect(reopened.warnings).toEqual([])
    expect(reopened.pending()).toEqual([a, b])
    expect(reopened.get(d.id)).toMatchObject({status: 'approved', resolved_by: 'cli'})
    expect(reopened.nextDeadline()).toBe(START + HOUR)
    reopened.close()

    c.advance(HOUR - 1000)
    const later = open(file, {timeoutMs: HOUR, now: c.now})
    expect(later.get(a.id)).toMatchObject({status: 'expired', resolved_at: a.expires_at})
    expect(later.get(b.id)?.status).toBe('pending')
    // the expiry was journaled, not only recomputed
    expect(lines(file).map((l) => JSON.parse(l)).filter((op) => op.op === 'resolve' && op.status === 'expired')).toEqual([expect.objectContaining({id: a.id})])
    expect(later.resolve(a.id, {approved: true, resolved_by: 'api'})).toEqual({ok: false, reason: 'gone'})
  })

  it('1,000 creates and 1,000 resolves interleaved with flushes come back as 1,000 resolved records', async () => {
    const c = clock()
    const file = journal()
    const store = open(file, {timeoutMs: HOUR, now: c.now})
    const ids: string[] = []
    const acks: Array<Promise<void>> = []
    for (let i = 0; i < 1000; i++) {
      const {approval} = store.create(exec(`step ${i}`, {run_id: `run-${i % 7}`}))
      ids.push(approval.id)
      acks.push(store.flush())
      if (i % 3 === 0) await store.flush()
      c.advance(1)
      expect(store.resolve(approval.id, {approved: i % 2 === 0, resolved_by: 'api'}).ok).toBe(true)
      acks.push(store.flush())
    }
    await Promise.all(acks)
    store.close()
    expect(lines(file)).toHaveLength(2000)

    const reopened = open(file, {timeoutMs: HOUR, now: c.now})
    expect(reopened.warnings).toEqual([])
    expect(reopened.size).toBe(1000)
    expect(new Set(ids).size).toBe(1000)
    expect(reopened.pending()).toEqual([])
    const back = reopened.recent(5000)
    expect(back).toHaveLength(1000)
    expect(new Set(back.map((a) => a.id))).toEqual(new Set(ids))
    expect(back.every((a) => a.status === (Number(a.command?.split(' ')[1]) % 2 === 0 ? 'approved' : 'denied'))).toBe(true)
  })

  it('recovers from a torn last line: cut off with a warning naming the line, later appends readable', async () => {
    const file = journal()
    const store = open(file, {timeoutMs: HOUR})
    const kept = store.create(exec('kept')).approval
    await store.flush()
    store.close()
    const full = JSON.stringify({op: 'create', approval: {...kept, id: '01ARZ3NDEKTSV4RRFFQ69G5FAV'}})
    appendFileSync(file, full.slice(0, full.length >> 1))

    const reopened = open(file, {timeoutMs: HOUR})
    expect(reopened.warnings).toEqual([expect.stringContaining(`${file}:2: `)])
    expect(reopened.pending().map((a) => a.id)).toEqual([kept.id])
    expect(readFileSync(file, 'utf8').endsWith('}\n')).toBe(true)
    const next = reopened.create(exec('after the crash')).approval
    await reopened.flush()
    reopened.close()

    const third = open(file, {timeoutMs: HOUR})
    expect(third.warnings).toEqual([])
    expect(third.pending().map((a) => a.id)).toEqual([kept.id, next.id])
  })

  it('ends a complete last record whose newline was lost before appending', async () => {
    const file = journal()
    const store = open(file, {timeoutMs: HOUR})
    const first = store.create(exec('first')).approval
    await store.flush()
    store.close()
    writeFileSync(file, readFileSync(file, 'utf8').trimEnd())
    const reopened = open(file, {timeoutMs: HOUR})
    const second = reopened.create(exec('second')).approval
    await reopened.flush()
    reopened.close()
    const third = open(file, {timeoutMs: HOUR})
    expect(third.warnings).toEqual([])
    expect(third.pending().map((a) => a.id)).toEqual([first.id, second.id])
  })

  it('skips a garbage line in the middle and unknown ids with warnings, never throwing', async () => {
    const file = journal()
    const store = open(file, {timeoutMs: HOUR})
    const a = store.create(exec('a')).approval
    await store.flush()
    appendFileSync(file, 'this is not json\n')
    appendFileSync(file, JSON.stringify({op: 'resolve', id: '01ARZ3NDEKTSV4RRFFQ69G5FAV', status: 'approved', resolved_at: new Date().toISOString(), resolved_by: 'api'}) + '\n')
    appendFileSync(file, JSON.stringify({op: 'create', approval: {id: 'x'}}) + '\n')
    appendFileSync(file, JSON.stringify({op: 'explode'}) + '\n')
    const b = store.create(exec('b')).approval
    await store.flush()
    store.close()

    const reopened = open(file, {timeoutMs: HOUR})
    expect(reopened.pending().map((p) => p.id)).toEqual([a.id, b.id])
    expect(reopened.warnings).toEqual([
      expect.stringMatching(new RegExp(`^${file}:2: skipped a line that is not valid JSON`)),
      expect.stringMatching(new RegExp(`^${file}:3: ignored a resolution of unknown approval "01ARZ3NDEKTSV4RRFFQ69G5FAV"`)),
      expect.stringMatching(new RegExp(`^${file}:4: skipped a create record without a valid approval`)),
      expect.stringMatching(new RegExp(`^${file}:5: skipped a record with unknown op "explode"`)),
    ])
  })

  it('compacts a long journal on open, keeping pending approvals, the run cache and the newest 1,000 resolved', () => {
    const c = clock()
    const file = journal()
    const iso = (ms: number) => new Date(ms).toISOString()
    const out: string[] = [JSON.stringify({op: 'run', run_id: 'ci-1', until: START + HOUR}), JSON.stringify({op: 'run', run_id: 'old', until: START - 1})]
    const record = (i: number): Approval => ({id: `ID${String(i).padStart(6, '0')}`, tool: 'exec', command: `c${i}`, agent: 'a', session: 's', message: 'm', status: 'pending', created_at: iso(START), expires_at: iso(START + HOUR)})
    for (let i = 0; i < 3000; i++) {
      out.push(JSON.stringify({op: 'create', approval: record(i)}))
      if (i >= 10) out.push(JSON.stringify({op: 'resolve', id: record(i).id, status: 'denied', resolved_at: iso(START), resolved_by: 'api', persisted: false}))
    }
    writeFileSync(file, out.join('\n') + '\n')
    expect(out.length).toBeGreaterThan(5000)

    const store = open(file, {timeoutMs: HOUR, now: c.now})
    expect(store.warnings).toEqual([])
    const after = lines(file)
    expect(after).toHaveLength(1 + 1000 + 10)
    expect(readdirSync(join(file, '..'))).toEqual(['approvals.jsonl'])
    expect(statSync(file).mode & 0o777).toBe(0o600)
    store.close()

    const reopened = open(file, {timeoutMs: HOUR, now: c.now})
    expect(reopened.pending().map((a) => a.id)).toEqual(Array.from({length: 10}, (_, i) => record(i).id))
    expect(reopened.recent(5000)).toHaveLength(1000)
    expect(reopened.recent(1)[0]?.id).toBe(record(2999).id)
    expect(reopened.get(record(2000).id)?.status).toBe('denied')
    expect(reopened.get(record(1999).id)).toBeUndefined()
    expect(reopened.isRunApproved('ci-1')).toBe(true)
  })

  it('compacts while running once the journal passes the threshold, and caps resolved records in memory', async () => {
    const file = journal()
    const store = open(file, {timeoutMs: HOUR})
    const keep = store.create(exec('stays pending')).approval
    for (let i = 0; i < 6000; i++) {
      const {approval} = store.create(exec(`n${i}`))
      store.resolve(approval.id, {approved: true, resolved_by: 'api'})
      if (i % 500 === 0) await store.flush()
    }
    await store.flush()
    expect(store.size).toBe(1 + 5000)
    expect(lines(file).length).toBeLessThanOrEqual(5001)
    store.close()
    const reopened = open(file, {timeoutMs: HOUR})
    expect(reopened.warnings).toEqual([])
    expect(reopened.pending().map((a) => a.id)).toEqual([keep.id])
    expect(reopened.recent(1)[0]?.command).toBe('n5999')
  })

  it('flush() rejects with what failed and how to fix it, and a later flush writes the change after all', async () => {
    const file = journal()
    const store = open(file, {timeoutMs: HOUR})
    const a = store.create(exec('a')).approval
    await store.flush()
    faults.fsync = Object.assign(new Error('no space left on device'), {code: 'ENOSPC'})
    const b = store.create(exec('b')).approval
    await expect(store.flush()).rejects.toThrow(/could not fsync the approvals journal .*approvals\.jsonl: ENOSPC .*free disk space/)
    // the in-memory state still has it, and the failed write was cut back off the file
    expect(store.get(b.id)?.status).toBe('pending')
    expect(lines(file)).toHaveLength(1)
    faults.fsync = undefined
    await store.flush()
    store.close()
    const reopened = open(file, {timeoutMs: HOUR})
    expect(reopened.warnings).toEqual([])
    expect(reopened.pending().map((p) => p.id)).toEqual([a.id, b.id])
  })

  it('clips oversized fields so that records stay small, and says so in the text', () => {
    const store = open(journal(), {timeoutMs: HOUR})
    const big = 'x'.repeat(1 << 20)
    const {approval} = store.create({tool: 'write', agent: 'a', message: big, command: big, path: big, params: {content: big}})
    expect(approval.command?.length).toBeLessThan(17_000)
    expect(approval.command).toMatch(/x\.\.\.\[\d+ more characters not kept\]$/)
    expect(approval.message.length).toBeLessThan(5000)
    expect(approval.path?.length).toBeLessThan(5000)
    expect(approval.params).toEqual({_omitted: expect.stringContaining('over the 16384 kept per approval')})
    expect(JSON.stringify(approval).length).toBeLessThan(30_000)
    // a surrogate pair is never split
    const emoji = store.create({tool: 'exec', agent: 'a', message: 'm', command: 'a' + '😀'.repeat(10_000)}).approval
    expect(emoji.command).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/)
  })
})

describe('ApprovalStore in a separate process (built dist/)', () => {
  const built = fileURLToPath(new URL('../../../dist/core/approvals/store.js', import.meta.url))

  function run(args: string[], script: string, onLine?: (line: string, kill: () => void) => void): Promise<{lines: string[]; stderr: string; signal: NodeJS.Signals | null}> {
    if (!existsSync(built)) throw new Error(`${built} is missing — run npm run build first`)
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [...args, '--input-type=module', '-e', script], {stdio: ['ignore', 'pipe', 'pipe']})
      const got: string[] = []
      let partial = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => {
        partial += d.toString()
        const parts = partial.split('\n')
        partial = parts.pop() ?? ''
        for (const line of parts) {
          got.push(line)
          onLine?.(line, () => child.kill('SIGKILL'))
        }
      })
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      child.on('error', reject)
      child.on('close', (_code, signal) => resolve({lines: got, stderr, signal}))
    })
  }

  it('every approval acknowledged after flush() survives a SIGKILL mid-burst', async () => {
    const file = journal()
    // eight concurrent "requests", each acknowledged (printed) only after its change is flushed
    const script = `
      import {ApprovalStore} from ${JSON.stringify(built)}
      const store = ApprovalStore.open(${JSON.stringify(file)}, {timeoutMs: 3600000, maxPending: 1e9})
      const filler = 'y'.repeat(3000)
      async function worker(w) {
        for (let i = 0; ; i++) {
          const {approval} = store.create({tool: 'exec', agent: 'w' + w, message: filler, command: 'cmd ' + w + ' ' + i + ' ' + filler})
          await store.flush()
          process.stdout.write('created ' + approval.id + '\\n')
          if (i % 2 === 0) {
            store.resolve(approval.id, {approved: true, resolved_by: 'api'})
            await store.flush()
            process.stdout.write('approved ' + approval.id + '\\n')
          }
        }
      }
      for (let w = 0; w < 8; w++) void worker(w)
    `
    let seen = 0
    const result = await run([], script, (_line, kill) => {
      if (seen++ === 600) kill()
    })
    expect(result.stderr).toBe('')
    expect(result.signal).toBe('SIGKILL')
    const created = result.lines.filter((l) => l.startsWith('created ')).map((l) => l.slice(8))
    const approved = result.lines.filter((l) => l.startsWith('approved ')).map((l) => l.slice(9))
    expect(created.length).toBeGreaterThan(300)

    const store = open(file, {timeoutMs: HOUR})
    for (const w of store.warnings) expect(w).toMatch(/incomplete last line/)
    for (const id of created) expect(store.get(id), id).toBeDefined()
    for (const id of approved) expect(store.get(id)?.status, id).toBe('approved')
    const all = lines(file).map((l) => JSON.parse(l)).filter((op) => op.op === 'create').map((op) => op.approval.id)
    expect(new Set(all).size).toBe(all.length)
  })

  it('1,000 pending approvals built from 1 MiB requests keep the heap small', async () => {
    const file = journal()
    const script = `
      import {ApprovalStore} from ${JSON.stringify(built)}
      const store = ApprovalStore.open(${JSON.stringify(file)}, {timeoutMs: 3600000})
      globalThis.gc(); const before = process.memoryUsage().heapUsed
      for (let i = 0; i < 1000; i++) {
        // a fresh string per request, as a server parsing 1 MiB bodies would get
        const big = String.fromCharCode(97 + (i % 26)).repeat(1 << 20) + i
        store.create({tool: 'write', agent: 'agent ' + big, session: big, message: big, command: big, path: big, url: big, run_id: big, params: {content: big}})
        if (i % 50 === 49) await store.flush()
      }
      await store.flush()
      globalThis.gc(); globalThis.gc()
      process.stdout.write(String(store.pending().length) + ' ' + (process.memoryUsage().heapUsed - before) + '\\n')
      store.close()
    `
    const result = await run(['--expose-gc'], script)
    expect(result.stderr).toBe('')
    const [count, bytes] = (result.lines[0] ?? '').split(' ').map(Number)
    expect(count).toBe(1000)
    // about 31 MB with the caps; an uncapped store, or one keeping request bodies alive through slices, takes gigabytes
    expect(bytes).toBeLessThan(48 * 1024 * 1024)
  })
})
