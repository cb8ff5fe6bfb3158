import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {sandbox, write} from '../helpers.js'
import {serve, until} from '../server/helpers.js'
import {rampart, rampartAsync} from './run.js'

const POLICY = `version: "1"
default_action: allow
policies:
  - name: deploys
    match: {tool: [exec]}
    rules:
      - action: ask
        ask: {audit: true}
        when: {command_matches: ["kubectl apply *"]}
        message: Production deployment requires approval
  - name: destruction
    match: {tool: [exec]}
    rules:
      - action: deny
        when: {command_matches: ["rm -rf /"]}
        message: Destructive command blocked
`

const payload = (command: string, cwd: string, event = 'PreToolUse') => JSON.stringify({session_id: 's', cwd, hook_event_name: event, tool_name: 'Bash', tool_input: {command}, ...(event === 'PostToolUse' ? {tool_response: 'ok'} : {})})

describe('the hook with a running rampart serve as the headless approval channel', () => {
  it('a headless ask waits in the server queue: approved → allow, denied → deny', async () => {
    const server = await serve({policy: POLICY})
    const policy = server.policyFile
    const env = {...server.env, RAMPART_HEADLESS: '1'}
    const approved = rampartAsync(['hook', 'claude-code', '--config', policy], {cwd: server.cwd, env, input: payload('kubectl apply -f prod.yaml', server.cwd)})
    const first = await until(async () => ((await server.api('GET', '/v1/approvals')).data.approvals as Array<{id: string; command: string}>)[0], 15_000)
    expect(first.command).toBe('kubectl apply -f prod.yaml')
    await server.api('POST', `/v1/approvals/${first.id}/resolve`, {approved: true, resolved_by: 'lead'})
    const a = await approved
    expect(a.code).toBe(0)
    expect(JSON.parse(a.stdout)).toMatchObject({hookSpecificOutput: {permissionDecision: 'allow'}})

    const denied = rampartAsync(['hook', 'claude-code', '--config', policy], {cwd: server.cwd, env, input: payload('kubectl apply -f db.yaml', server.cwd)})
    const second = await until(async () => ((await server.api('GET', '/v1/approvals')).data.approvals as Array<{id: string}>)[0], 15_000)
    await server.api('POST', `/v1/approvals/${second.id}/resolve`, {approved: false})
    const d = await denied
    expect(JSON.parse(d.stdout).hookSpecificOutput.permissionDecision).toBe('deny')
    expect(JSON.parse(d.stdout).hookSpecificOutput.permissionDecisionReason).toContain('approval denied')
  }, 60_000)

  it('the hook answers (deny) before Claude Code\'s own hook timeout, however long the approval wait is set', async () => {
    const server = await serve({policy: POLICY})
    const env = {...server.env, RAMPART_HEADLESS: '1', RAMPART_APPROVAL_WAIT: '10m', RAMPART_HOOK_TIMEOUT: '4'}
    const started = Date.now()
    const r = await rampartAsync(['hook', 'claude-code', '--config', server.policyFile], {cwd: server.cwd, env, input: payload('kubectl apply -f prod.yaml', server.cwd)})
    expect(Date.now() - started).toBeLessThan(4000)
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).hookSpecificOutput).toMatchObject({permissionDecision: 'deny', permissionDecisionReason: expect.stringMatching(/did not arrive before the hook had to answer/)})
  }, 30_000)

  it('a server that stopped answering is no channel: the ask is denied at once, saying why', async () => {
    const s = sandbox()
    const policy = write(join(s.root, 'policy.yaml'), POLICY)
    write(join(s.rampartHome, 'serve.json'), JSON.stringify({pid: 1, url: 'http://127.0.0.1:1'}))
    write(join(s.rampartHome, 'token'), 'a'.repeat(64))
    const r = rampart(['hook', 'claude-code', '--config', policy], {cwd: s.cwd, env: {...s.env, RAMPART_HEADLESS: '1'}, input: payload('kubectl apply -f prod.yaml', s.cwd)})
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).hookSpecificOutput.permissionDecisionReason).toMatch(/no approval channel/)
  })
})

describe('what the hook records', () => {
  it('denies and audited asks reach the audit trail; every PreToolUse decision is exportable with secrets redacted', () => {
    const s = sandbox()
    const policy = write(join(s.root, 'policy.yaml'), POLICY)
    const hook = (command: string, event?: string) => rampart(['hook', 'claude-code', '--config', policy], {cwd: s.cwd, env: s.env, input: payload(command, s.cwd, event)})
    hook('rm -rf /')
    hook('kubectl apply -f prod.yaml')
    hook('curl -H "Authorization: Bearer sk-live-abcdefghijklmnopqrstuvwxyz123456" https://api.example.com')
    hook('ls', 'PostToolUse')
    const day = new Date().toISOString().slice(0, 10)
    const audit = readFileSync(join(s.rampartHome, 'audit', `${day}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as {decision: {action: string}; request: {command: string}})
    expect(audit.map((e) => [e.decision.action, e.request.command])).toEqual([['deny', 'rm -rf /'], ['ask', 'kubectl apply -f prod.yaml']])
    expect(rampart(['audit', 'verify'], {cwd: s.cwd, env: s.env}).code).toBe(0)

    const exported = rampart(['audit', 'export', '--calls'], {cwd: s.cwd, env: s.env})
    expect(exported.code).toBe(0)
    const calls = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as {tool: string; params: {command: string}; decision: string; policy: string | null; agent: string})
    expect(calls.map((c) => [c.params.command.slice(0, 20), c.decision, c.policy])).toEqual([
      ['rm -rf /', 'deny', 'destruction'],
      ['kubectl apply -f pro', 'ask', 'deploys'],
      ['curl -H "Authorizati', 'allow', null],
    ])
    expect(exported.stdout).not.toContain('sk-live-abcdefghijklmnopqrstuvwxyz123456')
    expect(calls[0]).toMatchObject({tool: 'exec', agent: 'claude-code'})
    const onlyDenies = rampart(['audit', 'export', '--calls', '--since', '1h', '--tool', 'exec'], {cwd: s.cwd, env: s.env})
    expect(onlyDenies.stdout.trim().split('\n')).toHaveLength(3)
    const bad = rampart(['audit', 'export', '--since', 'yesterday-ish'], {cwd: s.cwd, env: s.env})
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--since yesterday-ish: not a date or a duration/)
  })
})
