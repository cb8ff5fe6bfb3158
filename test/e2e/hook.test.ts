import {spawnSync} from 'node:child_process'
import {chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {mapTool} from '../../src/core/hook/claude-code.js'
import {sandbox, write} from '../helpers.js'
import {rampart} from './run.js'

type Answer = {hookSpecificOutput?: {permissionDecision?: string; permissionDecisionReason?: string}; decision?: string; reason?: string}

function hook(s: ReturnType<typeof sandbox>, payload: unknown, args: string[] = [], env: Record<string, string> = {}): {code: number; answer: Answer; stderr: string} {
  const input = typeof payload === 'string' ? payload : JSON.stringify(payload)
  const r = rampart(['hook', 'claude-code', ...args], {...s, env: {...s.env, ...env}, input})
  return {code: r.code, answer: JSON.parse(r.stdout) as Answer, stderr: r.stderr}
}

const bash = (command: string, cwd: string) => ({session_id: 's', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: {command}, cwd})

describe('rampart hook claude-code', () => {
  it('denies with the reason and the ready-to-run hint, allows, and asks', () => {
    const s = sandbox()
    const d = hook(s, bash("bash -c 'rm -rf /'", s.cwd))
    expect(d.code).toBe(0)
    expect(d.answer.hookSpecificOutput).toMatchObject({hookEventName: 'PreToolUse', permissionDecision: 'deny'})
    expect(d.answer.hookSpecificOutput?.permissionDecisionReason).toContain('Destructive command blocked (block-destructive)')
    const hint = hook(s, bash('curl -s https://webhook.site/abc', s.cwd)).answer.hookSpecificOutput?.permissionDecisionReason ?? ''
    expect(hint).toContain('To allow this command, run:\n  rampart allow "curl -s https://webhook.site/abc"')
    expect(hook(s, bash('git status', s.cwd)).answer.hookSpecificOutput?.permissionDecision).toBe('allow')
    expect(hook(s, bash('npm publish', s.cwd)).answer.hookSpecificOutput?.permissionDecision).toBe('ask')
  })

  it('headless: a headless_only ask is denied; any other ask without an approval channel is denied and says why', () => {
    const s = sandbox()
    const cfg = write(join(s.root, 'p.yaml'), 'default_action: allow\npolicies:\n  - name: p\n    rules:\n      - action: ask\n        ask: {headless_only: true}\n        when: {command_matches: ["deploy*"]}\n      - action: ask\n        when: {command_matches: ["release*"]}\n')
    const a = hook(s, bash('deploy now', s.cwd), ['--config', cfg], {RAMPART_HEADLESS: '1'})
    expect(a.answer.hookSpecificOutput).toMatchObject({permissionDecision: 'deny'})
    expect(a.answer.hookSpecificOutput?.permissionDecisionReason).toContain('headless_only')
    const b = hook(s, bash('release now', s.cwd), ['--config', cfg], {RAMPART_HEADLESS: '1'})
    expect(b.answer.hookSpecificOutput?.permissionDecision).toBe('deny')
    expect(b.answer.hookSpecificOutput?.permissionDecisionReason).toContain('no approval channel')
    expect(hook(s, bash('release now', s.cwd), ['--config', cfg]).answer.hookSpecificOutput?.permissionDecision).toBe('ask')
  })

  it('PostToolUse blocks output that leaks a secret, and passes clean output', () => {
    const s = sandbox()
    const leak = hook(s, {hook_event_name: 'PostToolUse', tool_name: 'Read', tool_input: {file_path: 'c.json'}, tool_response: {content: 'key=AKIAIOSFODNN7EXAMPLE'}, cwd: s.cwd})
    expect(leak.answer).toMatchObject({decision: 'block'})
    expect(leak.answer.reason).toContain('credential')
    expect(hook(s, {hook_event_name: 'PostToolUse', tool_name: 'Read', tool_input: {file_path: 'c.json'}, tool_response: {content: 'region=eu'}, cwd: s.cwd}).answer).toEqual({})
  })

  it('uses the payload cwd for the project policy and the session', () => {
    const s = sandbox()
    const repo = join(s.cwd, 'repo')
    mkdirSync(join(repo, '.git'), {recursive: true})
    write(join(repo, '.rampart', 'policy.yaml'), 'policies:\n  - name: p\n    rules:\n      - action: deny\n        when: {command_matches: ["make deploy"]}\n')
    expect(hook(s, bash('make deploy', repo)).answer.hookSpecificOutput?.permissionDecision).toBe('deny')
    expect(hook(s, bash('make deploy', repo), ['--no-project']).answer.hookSpecificOutput?.permissionDecision).toBe('allow')
    expect(hook(s, bash('make deploy', s.cwd)).answer.hookSpecificOutput?.permissionDecision).toBe('allow')
  })

  it('call_count is counted across hook processes', () => {
    const s = sandbox()
    const cfg = write(join(s.root, 'rate.yaml'), 'default_action: allow\npolicies:\n  - name: rate\n    rules:\n      - action: ask\n        when: {call_count: {gte: 3, window: 1m}}\n')
    const decisions = [1, 2, 3, 4].map(() => hook(s, {hook_event_name: 'PreToolUse', tool_name: 'WebFetch', tool_input: {url: 'https://nodejs.org/'}, cwd: s.cwd}, ['--config', cfg]).answer.hookSpecificOutput?.permissionDecision)
    expect(decisions).toEqual(['allow', 'allow', 'ask', 'ask'])
  })

  describe('bad input: always a deny with the reason, exit 0', () => {
    it.each([
      ['empty stdin', '', 'empty hook input'],
      ['invalid JSON', '{"tool_name": ', 'not valid JSON'],
      ['a JSON array', '[1,2]', 'not a JSON object'],
      ['an unrecognisable tool name', JSON.stringify({hook_event_name: 'PreToolUse', tool_name: 'rm -rf /', tool_input: {}}), 'unrecognised tool name'],
      ['a missing tool_input', JSON.stringify({hook_event_name: 'PreToolUse', tool_name: 'Bash'}), 'no tool_input'],
      ['a 10 MB payload', JSON.stringify({hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: {command: 'echo ' + 'a'.repeat(10 * 1024 * 1024)}}), 'matching limit'],
    ])('%s', (_name, payload, reason) => {
      const s = sandbox()
      const r = hook(s, payload)
      expect(r.code).toBe(0)
      expect(r.answer.hookSpecificOutput?.permissionDecision).toBe('deny')
      expect(r.answer.hookSpecificOutput?.permissionDecisionReason).toContain(reason)
    })

    it('a policy file that became invalid', () => {
      const s = sandbox()
      write(join(s.rampartHome, 'policies', 'mine.yaml'), 'policies:\n  - name: x\n    rulez: []\n')
      const r = hook(s, bash('ls', s.cwd))
      expect(r.code).toBe(0)
      expect(r.answer.hookSpecificOutput?.permissionDecision).toBe('deny')
      expect(r.answer.hookSpecificOutput?.permissionDecisionReason).toContain("mine.yaml:3:5: unknown key 'rulez'")
    })

    it('a RAMPART_HOME that is not writable', () => {
      const s = sandbox()
      const readonly = join(s.root, 'ro-home')
      mkdirSync(readonly)
      writeFileSync(join(readonly, 'state'), 'a file where the state folder should be')
      chmodSync(readonly, 0o500)
      const r = hook(s, bash('ls', s.cwd), [], {RAMPART_HOME: readonly})
      chmodSync(readonly, 0o700)
      expect(r.code).toBe(0)
      expect(r.answer.hookSpecificOutput?.permissionDecision).toBe('deny')
      expect(r.answer.hookSpecificOutput?.permissionDecisionReason).toContain('make RAMPART_HOME writable')
    })

    it('an unknown flag', () => {
      const s = sandbox()
      const r = hook(s, bash('ls', s.cwd), ['--bogus'])
      expect(r.code).toBe(0)
      expect(r.answer.hookSpecificOutput?.permissionDecision).toBe('deny')
    })
  })

  it('maps Claude Code tools to Rampart tools', () => {
    expect(mapTool('Bash', {command: 'ls'}, '/w')).toMatchObject({tool: 'exec', command: 'ls'})
    expect(mapTool('Read', {file_path: '/a'}, '/w')).toMatchObject({tool: 'read', path: '/a'})
    expect(mapTool('Grep', {pattern: 'x'}, '/w')).toMatchObject({tool: 'read', path: '/w'})
    expect(mapTool('Write', {file_path: 'a'}, '/w')).toMatchObject({tool: 'write', path: 'a'})
    expect(mapTool('MultiEdit', {file_path: 'a'}, '/w')).toMatchObject({tool: 'edit', path: 'a'})
    expect(mapTool('NotebookEdit', {notebook_path: 'n.ipynb'}, '/w')).toMatchObject({tool: 'edit', path: 'n.ipynb'})
    expect(mapTool('WebFetch', {url: 'https://x'}, '/w')).toMatchObject({tool: 'fetch', url: 'https://x'})
    expect(mapTool('mcp__db__query', {sql: 'x'}, '/w')).toMatchObject({tool: 'mcp', params: {sql: 'x', tool: 'mcp__db__query'}})
    expect(mapTool('TodoWrite', {}, '/w')).toMatchObject({tool: 'TodoWrite'})
  })
})

describe('rampart setup claude-code', () => {
  it('merges the hook without losing settings, is idempotent, and --remove restores the file exactly', () => {
    const s = sandbox()
    const file = join(s.home, '.claude', 'settings.json')
    const original = '{\n    "model": "opus",\n    "hooks": {"PreToolUse": [{"matcher": "Write", "hooks": [{"type": "command", "command": "prettier --check"}]}]}\n}\n'
    write(file, original)
    expect(rampart(['setup', 'claude-code'], s).code).toBe(0)
    const installed = JSON.parse(readFileSync(file, 'utf8'))
    expect(installed.model).toBe('opus')
    expect(installed.hooks.PreToolUse).toEqual([
      {matcher: 'Write', hooks: [{type: 'command', command: 'prettier --check'}]},
      {matcher: '*', hooks: [{type: 'command', command: 'rampart hook claude-code'}]},
    ])
    expect(installed.hooks.PostToolUse).toEqual([{matcher: '*', hooks: [{type: 'command', command: 'rampart hook claude-code'}]}])
    const once = readFileSync(file, 'utf8')
    expect(rampart(['setup', 'claude-code'], s).stdout).toContain('already installed')
    expect(readFileSync(file, 'utf8')).toBe(once)
    expect(rampart(['setup', 'claude-code', '--remove'], s).code).toBe(0)
    expect(readFileSync(file, 'utf8')).toBe(original)
  })

  it('--project writes .claude/settings.json of the repository; removing a hook that created the file deletes it', () => {
    const s = sandbox()
    const repo = join(s.cwd, 'repo')
    mkdirSync(join(repo, '.git'), {recursive: true})
    expect(rampart(['setup', 'claude-code', '--project'], {...s, cwd: repo}).code).toBe(0)
    expect(existsSync(join(repo, '.claude', 'settings.json'))).toBe(true)
    rampart(['setup', 'claude-code', '--project', '--remove'], {...s, cwd: repo})
    expect(existsSync(join(repo, '.claude', 'settings.json'))).toBe(false)
  })

  it('--http wires the server endpoint with the token; invalid settings are never overwritten', () => {
    const s = sandbox()
    const file = join(s.home, '.claude', 'settings.json')
    rampart(['setup', 'claude-code', '--http', '--token', 't0k'], s)
    expect(JSON.parse(readFileSync(file, 'utf8')).hooks.PreToolUse[0].hooks[0]).toEqual({type: 'http', url: 'http://127.0.0.1:9090/v1/hooks/claude-code', headers: {Authorization: 'Bearer t0k'}})
    // without --token the settings hold no secret: Claude Code sends $RAMPART_TOKEN from its environment
    rampart(['setup', 'claude-code', '--remove'], s)
    rampart(['setup', 'claude-code', '--http'], s)
    expect(JSON.parse(readFileSync(file, 'utf8')).hooks.PreToolUse[0].hooks[0]).toEqual({type: 'http', url: 'http://127.0.0.1:9090/v1/hooks/claude-code', headers: {Authorization: 'Bearer $RAMPART_TOKEN'}, allowedEnvVars: ['RAMPART_TOKEN']})
    const shared = rampart(['setup', 'claude-code', '--http', '--project', '--token', 't0k'], s)
    expect(shared.code).toBe(2)
    expect(shared.stderr).toMatch(/would commit the server token/)
    write(file, '{ not json')
    const r = rampart(['setup', 'claude-code'], s)
    expect(r.code).toBe(5)
    expect(readFileSync(file, 'utf8')).toBe('{ not json')
  })
})

describe('a broken install', () => {
  it('still answers with a deny and exit 0 (a crash would let Claude Code run the call)', () => {
    const s = sandbox()
    const bin = join(s.root, 'pkg', 'bin')
    mkdirSync(bin, {recursive: true})
    for (const f of ['run.js', 'load-lean.js', 'package.json']) copyFileSync(join(import.meta.dirname, '..', '..', 'bin', f), join(bin, f))
    const r = spawnSync(process.execPath, [join(bin, 'run.js'), 'hook', 'claude-code'], {input: '{"tool_name":"Bash","tool_input":{"command":"ls"}}', encoding: 'utf8', env: {PATH: process.env.PATH ?? '', HOME: s.home, RAMPART_HOME: s.rampartHome}})
    expect(r.status).toBe(0)
    const answer = JSON.parse(r.stdout) as {hookSpecificOutput: {permissionDecision: string; permissionDecisionReason: string}}
    expect(answer.hookSpecificOutput.permissionDecision).toBe('deny')
    expect(answer.hookSpecificOutput.permissionDecisionReason).toMatch(/cannot start .*reinstall rampart/)
  })
})
