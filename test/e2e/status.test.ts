import {describe, expect, it} from 'vitest'

import {sandbox} from '../helpers.js'
import {serve} from '../server/helpers.js'
import {rampart, rampartAsync} from './run.js'

describe('rampart status', () => {
  it('warns (exit 1) with no hook installed, and when the HTTP hook has no server behind it', () => {
    const s = sandbox()
    const none = rampart(['status'], s)
    expect(none.code).toBe(1)
    expect(none.stdout).toMatch(/^Policy {4}\d+ policies, \d+ rules \(default allow\)/m)
    expect(none.stdout).toContain('warning: no Rampart hook')
    rampart(['setup', 'claude-code', '--http', '--api', 'http://127.0.0.1:9'], s)
    const down = rampart(['status', '--json'], s)
    expect(down.code).toBe(1)
    const j = JSON.parse(down.stdout) as {hooks: Array<{http: string}>; warnings: string[]}
    expect(j.hooks[0]?.http).toBe('http://127.0.0.1:9/v1/hooks/claude-code')
    expect(j.warnings.join('\n')).toMatch(/no rampart serve answers there: Claude Code lets every call through/)
  })

  it('is quiet (exit 0) with the command hook, and reports a running server with its pending count', async () => {
    const server = await serve()
    const env = server.env
    expect((await rampartAsync(['setup', 'claude-code'], {cwd: server.cwd, env})).code).toBe(0)
    const r = await rampartAsync(['status'], {cwd: server.cwd, env})
    expect(r.stdout).toMatch(/^Hook {6}command in /m)
    expect(r.stdout).toContain(`Server    up at ${server.url}, 0 pending`)
    expect(r.code).toBe(0)
  })
})
