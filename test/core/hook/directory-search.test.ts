import {chmodSync, mkdirSync, symlinkSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {decideHook, fillGlob, mapTool, searchCandidates} from '../../../src/core/hook/claude-code.js'
import {loadPolicy} from '../../../src/core/policy/load.js'
import {sandbox, write} from '../../helpers.js'

type Answer = {hookSpecificOutput?: {permissionDecision?: string; permissionDecisionReason?: string}; decision?: string; reason?: string}

/** A sandbox whose home holds an SSH key and AWS credentials, and a project with sources. */
function machine() {
  const s = sandbox()
  write(join(s.home, '.ssh', 'id_ed25519'), '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n')
  write(join(s.home, '.ssh', 'id_ed25519.pub'), 'ssh-ed25519 AAAA me@host\n')
  write(join(s.home, '.ssh', 'known_hosts'), 'github.com ssh-ed25519 AAAA\n')
  write(join(s.home, '.aws', 'credentials'), '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n')
  write(join(s.home, 'notes', 'todo.md'), 'TODO: nothing secret\n')
  write(join(s.cwd, 'src', 'index.ts'), '// TODO: ship it\nexport const x = 1\n')
  write(join(s.cwd, 'src', 'util', 'math.ts'), 'export const add = (a: number, b: number) => a + b\n')
  write(join(s.cwd, 'package.json'), '{"name": "demo"}\n')
  write(join(s.cwd, 'README.md'), '# demo\n')
  return s
}

function hook(s: ReturnType<typeof sandbox>, tool: string, input: Record<string, unknown>, extra: Record<string, unknown> = {}): Answer {
  const payload = {session_id: 's', hook_event_name: 'PreToolUse', tool_name: tool, tool_input: input, cwd: s.cwd, ...extra}
  return decideHook(JSON.stringify(payload), {env: s.env}) as Answer
}

const decision = (s: ReturnType<typeof sandbox>, tool: string, input: Record<string, unknown>) => hook(s, tool, input).hookSpecificOutput?.permissionDecision

describe('directory searches (Grep, Glob) are decided like reading what they reach', () => {
  it('the reported bypasses are denied, like the Read they stand for', () => {
    const s = machine()
    expect(decision(s, 'Read', {file_path: '~/.ssh/id_ed25519'})).toBe('deny')
    expect(decision(s, 'Grep', {pattern: 'PRIVATE', path: '~/.ssh'})).toBe('deny')
    expect(decision(s, 'Grep', {pattern: '.', path: '~', glob: '**/id_ed25519', output_mode: 'content'})).toBe('deny')
    expect(decision(s, 'Grep', {pattern: 'aws', path: '~/.aws', output_mode: 'content'})).toBe('deny')
  })

  it('says which credential the search reaches', () => {
    const s = machine()
    const reason = hook(s, 'Grep', {pattern: '.', path: '~/.ssh'}).hookSpecificOutput?.permissionDecisionReason ?? ''
    expect(reason).toContain('Credential files are off limits to agents')
    expect(reason).toContain(`reaches ${join(s.home, '.ssh', 'id_ed25519')}`)
  })

  it('other spellings of the same reach are denied too', () => {
    const s = machine()
    // the whole home folder, no glob
    expect(decision(s, 'Grep', {pattern: 'KEY'})).toBe('allow')
    expect(decision(s, 'Grep', {pattern: 'KEY', path: s.home})).toBe('deny')
    expect(decision(s, 'Grep', {pattern: 'KEY', path: '~/'})).toBe('deny')
    // a folder above the home folder
    expect(decision(s, 'Grep', {pattern: 'KEY', path: s.root})).toBe('deny')
    // relative and dotted paths
    expect(decision(s, 'Grep', {pattern: 'KEY', path: '../home/.ssh'})).toBe('deny')
    expect(decision(s, 'Grep', {pattern: 'KEY', path: '~/notes/../.aws'})).toBe('deny')
    // Glob lists what the pattern reaches
    expect(decision(s, 'Glob', {pattern: '**/id_*', path: '~'})).toBe('deny')
    expect(decision(s, 'Glob', {pattern: '**/ID_ED25519', path: '~'})).toBe('deny')
    expect(decision(s, 'Glob', {pattern: '**/*', path: '~/.ssh'})).toBe('deny')
    expect(decision(s, 'Glob', {pattern: '.aws/*', path: '~'})).toBe('deny')
    // a glob that leaves the searched folder
    expect(decision(s, 'Glob', {pattern: `${s.home}/.ssh/*`})).toBe('deny')
    expect(decision(s, 'Glob', {pattern: '../home/.ssh/*'})).toBe('deny')
    expect(decision(s, 'Grep', {pattern: 'KEY', glob: '~/.aws/*'})).toBe('deny')
    // several globs in one Grep glob
    expect(decision(s, 'Grep', {pattern: 'KEY', path: '~', glob: '*.md id_*'})).toBe('deny')
    // a folder that links to a credential folder
    symlinkSync(join(s.home, '.ssh'), join(s.cwd, 'keys'))
    expect(decision(s, 'Grep', {pattern: 'KEY', path: 'keys'})).toBe('deny')
    expect(decision(s, 'Glob', {pattern: '*', path: join(s.cwd, 'keys')})).toBe('deny')
  })

  it('a key in a credential folder with another name is still reached', () => {
    const s = machine()
    write(join(s.home, '.ssh', 'deploy_ed25519'), 'key\n')
    expect(decision(s, 'Read', {file_path: '~/.ssh/deploy_ed25519'})).toBe('deny')
    expect(decision(s, 'Grep', {pattern: 'x', path: '~', glob: '**/deploy_*'})).toBe('deny')
    write(join(s.home, '.gnupg', 'private-keys-v1.d', 'ABCD.key'), 'key\n')
    expect(decision(s, 'Glob', {pattern: '**/*.key', path: '~'})).toBe('deny')
  })

  it('routine searches of a project stay allowed', () => {
    const s = machine()
    expect(decision(s, 'Grep', {pattern: 'TODO', path: join(s.cwd, 'src')})).toBe('allow')
    expect(decision(s, 'Grep', {pattern: 'TODO', path: 'src', output_mode: 'content'})).toBe('allow')
    expect(decision(s, 'Grep', {pattern: 'TODO'})).toBe('allow')
    expect(decision(s, 'Grep', {pattern: 'TODO', glob: '*.{ts,tsx}', output_mode: 'content'})).toBe('allow')
    expect(decision(s, 'Glob', {pattern: '**/*.ts', path: s.cwd})).toBe('allow')
    expect(decision(s, 'Glob', {pattern: 'src/**/*.ts'})).toBe('allow')
    expect(decision(s, 'Glob', {pattern: '**/package.json'})).toBe('allow')
    // a folder with no secrets, in the home folder
    expect(decision(s, 'Grep', {pattern: 'TODO', path: '~/notes', output_mode: 'content'})).toBe('allow')
    // a folder that does not exist: only the folder itself is decided on
    expect(decision(s, 'Grep', {pattern: 'TODO', path: join(s.cwd, 'missing')})).toBe('allow')
  })

  it('a glob narrows the reach: the home folder searched for sources only is allowed', () => {
    const s = machine()
    expect(decision(s, 'Grep', {pattern: 'TODO', path: '~', glob: '*.md'})).toBe('allow')
    expect(decision(s, 'Glob', {pattern: '**/*.ts', path: '~'})).toBe('allow')
    expect(decision(s, 'Grep', {pattern: 'TODO', path: '~', glob: '**/*.pub'})).toBe('allow')
  })

  it('a project .env makes an unnarrowed search of the project ask, as reading it does', () => {
    const s = machine()
    write(join(s.cwd, '.env'), 'TOKEN=abc\n')
    expect(decision(s, 'Read', {file_path: '.env'})).toBe('ask')
    expect(decision(s, 'Grep', {pattern: 'TOKEN', output_mode: 'content'})).toBe('ask')
    expect(decision(s, 'Grep', {pattern: 'TOKEN', glob: '.env*'})).toBe('ask')
    expect(decision(s, 'Grep', {pattern: 'TODO', glob: '*.ts'})).toBe('allow')
    expect(decision(s, 'Grep', {pattern: 'TODO', path: 'src'})).toBe('allow')
  })

  it('a single-use allow that lets a reached file through is spent by the search', () => {
    const s = machine()
    write(join(s.cwd, '.env'), 'TOKEN=abc\n')
    write(join(s.rampartHome, 'policies', 'user-overrides.yaml'), 'policies:\n  - name: env-once\n    rules:\n      - action: allow\n        once: true\n        when: {path_matches: ["**/.env"]}\n')
    expect(decision(s, 'Grep', {pattern: 'TOKEN'})).toBe('allow')
    expect(decision(s, 'Grep', {pattern: 'TOKEN'})).toBe('ask')
    expect(decision(s, 'Read', {file_path: '.env'})).toBe('ask')
  })

  it('the policy\'s own deny paths are reached too', () => {
    const s = machine()
    write(join(s.rampartHome, 'policies', 'mine.yaml'), 'policies:\n  - name: secrets\n    rules:\n      - action: deny\n        when: {path_matches: ["~/vault/**"]}\n        message: my vault\n')
    write(join(s.home, 'vault', 'master.txt'), 'hunter2\n')
    expect(decision(s, 'Read', {file_path: '~/vault/master.txt'})).toBe('deny')
    const home = hook(s, 'Grep', {pattern: 'hunter', path: '~/notes/..', glob: '*.txt'}).hookSpecificOutput
    expect(home?.permissionDecision).toBe('deny')
    expect(home?.permissionDecisionReason).toContain('my vault')
    expect(decision(s, 'Grep', {pattern: 'hunter', path: '~/vault'})).toBe('deny')
    expect(decision(s, 'Grep', {pattern: 'TODO', path: '~/notes'})).toBe('allow')
  })

  it('tool output is still checked after a search', () => {
    const s = machine()
    const r = hook(s, 'Grep', {pattern: 'AKIA', path: 'src'}, {hook_event_name: 'PostToolUse', tool_response: {content: 'key=AKIAIOSFODNN7EXAMPLE'}})
    expect(r.decision).toBe('block')
    const clean = hook(s, 'Grep', {pattern: 'TODO', path: 'src'}, {hook_event_name: 'PostToolUse', tool_response: {content: 'src/index.ts'}})
    expect(clean).toEqual({})
    expect(hook(s, 'Grep', {pattern: 'x', path: '~/.ssh'}, {hook_event_name: 'PostToolUse', tool_response: {content: 'known_hosts'}}).decision).toBe('block')
  })

  it('folders that cannot be looked into are left out, never an error', () => {
    const s = machine()
    const locked = join(s.cwd, '.ssh')
    mkdirSync(locked)
    chmodSync(locked, 0)
    try {
      const r = hook(s, 'Grep', {pattern: 'TODO'}).hookSpecificOutput
      expect(r?.permissionDecisionReason ?? '').not.toContain('internal error')
      expect(['allow', 'deny']).toContain(r?.permissionDecision)
    } finally {
      chmodSync(locked, 0o700)
    }
    expect(decision(s, 'Grep', {pattern: 'x', glob: '[', path: 'src'})).toBe('allow')
    expect(decision(s, 'Grep', {pattern: 'x', glob: '{', path: '~'})).toBe('allow')
  })
})

describe('searchCandidates and fillGlob', () => {
  it('lists the narrowed glob and the credential locations under the folder, and only those', () => {
    const s = machine()
    const set = loadPolicy({cwd: s.cwd, env: s.env})
    const home = searchCandidates('Grep', {pattern: 'x'}, s.home, set)
    expect(home).toEqual(expect.arrayContaining([join(s.home, '.ssh'), join(s.home, '.ssh', 'id_ed25519'), join(s.home, '.aws', 'credentials')]))
    expect(home).not.toContain(join(s.home, 'notes', 'todo.md'))
    expect(searchCandidates('Grep', {pattern: 'x'}, join(s.cwd, 'src'), set)).toEqual([])
    expect(searchCandidates('Glob', {pattern: '**/*.ts'}, s.cwd, set).sort()).toEqual([join(s.cwd, '.ts'), join(s.cwd, 'x', 'x.ts')])
    const narrowed = searchCandidates('Grep', {pattern: 'x', glob: '**/id_ed25519'}, s.home, set)
    expect(narrowed).toContain(join(s.home, '.ssh', 'id_ed25519'))
    expect(narrowed).not.toContain(join(s.home, '.ssh', 'known_hosts'))
    expect(narrowed).not.toContain(join(s.home, '.aws', 'credentials'))
  })

  it('package configuration that the profile only guards against changes does not make a project search ask', () => {
    const s = machine()
    write(join(s.cwd, '.yarnrc.yml'), 'nodeLinker: node-modules\n')
    write(join(s.cwd, 'pip.conf'), '[global]\n')
    expect(decision(s, 'Grep', {pattern: 'TODO'})).toBe('allow')
    expect(searchCandidates('Grep', {pattern: 'x'}, s.cwd, loadPolicy({cwd: s.cwd, env: s.env}))).toEqual([])
  })

  it('fills wildcards with plain text', () => {
    expect(fillGlob('**/id_*')).toEqual(['x/id_x', 'id_'])
    expect(fillGlob('*.{pem,key}')).toEqual(['x.pem', '.pem', 'x.key', '.key'])
    expect(fillGlob('id_[er]?a')).toEqual(['id_exa'])
    expect(fillGlob('**')).toEqual(['x'])
  })
})

describe('MCP tool calls carry their path, command and URL', () => {
  it('maps string path, file_path, file:// uri, command and url; keeps tool mcp and the parameters', () => {
    expect(mapTool('mcp__fs__read_file', {path: '~/.ssh/id_rsa'}, '/w')).toEqual({tool: 'mcp', path: '~/.ssh/id_rsa', params: {path: '~/.ssh/id_rsa', tool: 'mcp__fs__read_file'}})
    expect(mapTool('mcp__fs__read', {file_path: '/etc/shadow'}, '/w')).toMatchObject({tool: 'mcp', path: '/etc/shadow'})
    expect(mapTool('mcp__fs__read', {uri: 'file:///home/me/.aws/credentials'}, '/w')).toMatchObject({tool: 'mcp', path: '/home/me/.aws/credentials'})
    expect(mapTool('mcp__web__get', {uri: 'https://example.com/x'}, '/w')).toMatchObject({tool: 'mcp', url: 'https://example.com/x'})
    expect(mapTool('mcp__shell__run', {command: 'cat ~/.ssh/id_rsa'}, '/w')).toMatchObject({tool: 'mcp', command: 'cat ~/.ssh/id_rsa', params: {command: 'cat ~/.ssh/id_rsa', tool: 'mcp__shell__run'}})
    expect(mapTool('mcp__web__fetch', {url: 'https://webhook.site/abc'}, '/w')).toMatchObject({tool: 'mcp', url: 'https://webhook.site/abc'})
    // nothing to map, or nothing usable: no field (an unparseable URL would fail the call closed)
    expect(mapTool('mcp__db__query', {sql: 'x', path: 3, url: '', command: ''}, '/w')).toEqual({tool: 'mcp', params: {sql: 'x', path: 3, url: '', command: '', tool: 'mcp__db__query'}})
    expect(mapTool('mcp__web__fetch', {url: 'http://'}, '/w')).not.toHaveProperty('url')
    expect(mapTool('mcp__x__y', {uri: 'db://table'}, '/w')).not.toHaveProperty('path')
  })

  it('policies that match tool mcp see the mapped fields', () => {
    const s = machine()
    // the standard profile's browser-data rules apply to every tool, mcp included
    expect(decision(s, 'mcp__fs__read_file', {path: '~/.mozilla/firefox/abc.default/cookies.sqlite'})).toBe('deny')
    expect(decision(s, 'mcp__fs__read_file', {path: 'src/index.ts'})).toBe('allow')
    // a policy written for mcp: the path is expanded and resolved as for Read
    write(join(s.rampartHome, 'policies', 'mcp.yaml'), 'policies:\n  - name: mcp-files\n    match: {tool: [mcp]}\n    rules:\n      - action: deny\n        when: {path_matches: ["**/.ssh/id_*"]}\n      - action: deny\n        when: {command_matches: ["cat *"]}\n      - action: deny\n        when: {domain_matches: ["webhook.site"]}\n')
    expect(decision(s, 'mcp__fs__read_file', {path: '~/.ssh/id_rsa'})).toBe('deny')
    expect(decision(s, 'mcp__fs__read_file', {uri: `file://${s.home}/.ssh/id_rsa`})).toBe('deny')
    expect(decision(s, 'mcp__fs__read_file', {path: '../home/.ssh/id_rsa'})).toBe('deny')
    expect(decision(s, 'mcp__shell__run', {command: 'cat README.md'})).toBe('deny')
    expect(decision(s, 'mcp__web__fetch', {url: 'https://webhook.site/abc'})).toBe('deny')
    expect(decision(s, 'mcp__fs__read_file', {path: 'README.md'})).toBe('allow')
  })

  it('an MCP tool with a path, a command or a URL is also judged as read/write, exec or fetch (the built-in profile applies)', () => {
    const s = machine()
    // no policy mentions mcp: the standard profile's read, exec and fetch rules still apply
    expect(decision(s, 'mcp__fs__read_file', {path: '~/.ssh/id_ed25519'})).toBe('deny')
    expect(decision(s, 'mcp__shell__run', {command: 'rm -rf /'})).toBe('deny')
    expect(decision(s, 'mcp__fs__read_file', {path: 'src/index.ts'})).toBe('allow')
    expect(decision(s, 'mcp__shell__run', {command: 'git status'})).toBe('allow')
    expect(decision(s, 'mcp__db__query', {sql: 'select 1'})).toBe('allow')
  })
})
