import {spawn} from 'node:child_process'
import {readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import {evaluate} from '../../../src/core/engine/evaluate.js'
import {FileOnceLedger} from '../../../src/core/state/once-ledger.js'
import {policyFrom, sandbox} from '../../helpers.js'

describe('FileOnceLedger', () => {
  it('a single-use allow decides one real call, then no longer applies', () => {
    const s = sandbox()
    const set = policyFrom(`policies:
  - name: one-shot
    rules:
      - action: allow
        once: true
        when: {command_matches: ["make release"]}
`)
    const ledger = new FileOnceLedger(s.rampartHome)
    const first = evaluate(set, {tool: 'exec', command: 'make release'}, {once: ledger})
    expect(first.action).toBe('allow')
    expect(ledger.consume(first.once_key as string)).toBe(true)
    expect(ledger.consume(first.once_key as string)).toBe(false)
    const fresh = new FileOnceLedger(s.rampartHome)
    expect(evaluate(set, {tool: 'exec', command: 'make release'}, {once: fresh}).action).toBe('deny')
    expect(statSync(fresh.file).mode & 0o777).toBe(0o600)
  })

  it('concurrent processes: exactly one of them gets the single use', async () => {
    const s = sandbox()
    const module = fileURLToPath(new URL('../../../dist/core/state/once-ledger.js', import.meta.url))
    // each process spins until a shared start time so that they really race for the lock
    const start = Date.now() + 600
    const script = `import {FileOnceLedger} from ${JSON.stringify(module)}; while (Date.now() < ${start}); process.stdout.write(String(new FileOnceLedger(process.argv[1]).consume('k')))`
    const runs = await Promise.all(Array.from({length: 20}, () => new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, s.rampartHome], {stdio: ['ignore', 'pipe', 'inherit']})
      let out = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.on('error', reject)
      child.on('close', () => resolve(out))
    })))
    expect(runs.filter((r) => r === 'true')).toHaveLength(1)
    expect(runs.filter((r) => r === 'false')).toHaveLength(19)
    expect(Object.keys(JSON.parse(readFileSync(join(s.rampartHome, 'state', 'once.json'), 'utf8')).consumed)).toEqual(['k'])
  })
})
