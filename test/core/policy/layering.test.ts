import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {evaluate} from '../../../src/core/engine/evaluate.js'
import {PolicyError, UsageError} from '../../../src/core/errors.js'
import {loadPolicy} from '../../../src/core/policy/load.js'
import {policyFrom, sandbox, write} from '../../helpers.js'

function repo(s: ReturnType<typeof sandbox>, projectPolicy?: string): string {
  const dir = join(s.cwd, 'repo')
  mkdirSync(join(dir, '.git'), {recursive: true})
  if (projectPolicy) write(join(dir, '.rampart', 'policy.yaml'), projectPolicy)
  return dir
}

const exec = (command: string) => ({tool: 'exec', command})

describe('layering (policy.md §1)', () => {
  it('uses the built-in standard profile by default and the global folder from RAMPART_HOME', () => {
    const s = sandbox()
    write(join(s.rampartHome, 'policies', 'team.yaml'), `policies:
  - name: team-no-docker
    rules:
      - action: deny
        when: {command_matches: ["docker *"]}
`)
    const set = loadPolicy({cwd: s.cwd, env: s.env})
    expect(set.files.map((f) => f.layer)).toEqual(['builtin', 'global'])
    expect(evaluate(set, exec('docker ps')).action).toBe('deny')
    expect(evaluate(set, exec('rm -rf /')).decided_by?.policy).toBe('block-destructive')
  })

  it('--profile picks another shipped profile; an unknown one is a usage error', () => {
    const s = sandbox()
    expect(() => loadPolicy({cwd: s.cwd, env: s.env, profile: 'nope'})).toThrow(UsageError)
  })

  it('--config replaces the built-in layer', () => {
    const s = sandbox()
    const file = write(join(s.root, 'only.yaml'), 'default_action: deny\npolicies: []\n')
    const set = loadPolicy({cwd: s.cwd, env: s.env, config: file})
    expect(set.files).toEqual([{file, layer: 'config'}])
    expect(evaluate(set, exec('ls')).action).toBe('deny')
  })

  it('default_action comes from the first layer that sets it; absent everywhere means deny', () => {
    const s = sandbox()
    const config = write(join(s.root, 'c.yaml'), 'policies: []\n')
    write(join(s.rampartHome, 'policies', 'g.yaml'), 'default_action: ask\n')
    expect(loadPolicy({cwd: s.cwd, env: s.env, config}).defaultAction).toBe('ask')
    const s2 = sandbox()
    const c2 = write(join(s2.root, 'c.yaml'), 'policies: []\n')
    expect(loadPolicy({cwd: s2.cwd, env: s2.env, config: c2}).defaultAction).toBe('deny')
  })

  it('a global policy may replace a built-in one of the same name', () => {
    const s = sandbox()
    write(join(s.rampartHome, 'policies', 'mine.yaml'), `policies:
  - name: ask-package-publishing
    rules: []
`)
    const set = loadPolicy({cwd: s.cwd, env: s.env})
    expect(evaluate(set, exec('npm publish')).action).toBe('allow')
    expect(set.policies.find((p) => p.name === 'ask-package-publishing')?.replaces).toMatch(/standard\.yaml$/)
  })

  it('two global files with the same policy name are an error naming both', () => {
    const s = sandbox()
    const a = write(join(s.rampartHome, 'policies', 'a.yaml'), 'policies:\n  - name: same\n')
    write(join(s.rampartHome, 'policies', 'b.yaml'), 'policies:\n  - name: same\n')
    expect(() => loadPolicy({cwd: s.cwd, env: s.env})).toThrow(PolicyError)
    expect(() => loadPolicy({cwd: s.cwd, env: s.env})).toThrow(a)
  })

  it('the project policy can only tighten', () => {
    const s = sandbox()
    const dir = repo(s, `default_action: allow
policies:
  - name: project-rules
    rules:
      - action: allow
        when: {command_matches: ["rm -rf /"]}
      - action: deny
        when: {command_matches: ["make deploy"]}
`)
    const config = write(join(s.root, 'strict.yaml'), `default_action: deny
policies:
  - name: allow-make
    rules:
      - action: allow
        when: {command_matches: ["make *"]}
`)
    const set = loadPolicy({cwd: dir, env: s.env, config})
    expect(set.defaultAction).toBe('deny')
    expect(set.warnings.join()).toContain('default_action in a project policy is ignored')
    // its deny applies…
    expect(evaluate(set, exec('make deploy')).action).toBe('deny')
    expect(evaluate(set, exec('make deploy')).from_project).toBe(true)
    // …its allow never loosens the default deny
    const d = evaluate(set, exec('rm -rf /'))
    expect(d.action).toBe('deny')
    expect(d.notes.join()).toContain('project policies can only tighten')
  })

  it('a project allow does not override a global ask', () => {
    const s = sandbox()
    const dir = repo(s, `policies:
  - name: project-publish
    rules:
      - action: allow
        when: {command_matches: ["npm publish*"]}
`)
    const set = loadPolicy({cwd: dir, env: s.env})
    expect(evaluate(set, exec('npm publish')).action).toBe('ask')
  })

  it('a project policy named like a global one is skipped with a warning', () => {
    const s = sandbox()
    const dir = repo(s, `policies:
  - name: block-destructive
    rules:
      - action: deny
        when: {command_matches: ["ls"]}
`)
    const set = loadPolicy({cwd: dir, env: s.env})
    expect(set.warnings.join()).toContain("project policy 'block-destructive'")
    expect(evaluate(set, exec('ls')).action).toBe('allow')
  })

  it('--no-project and RAMPART_NO_PROJECT_POLICY=1 skip the project policy', () => {
    const s = sandbox()
    const dir = repo(s, 'policies:\n  - name: p\n    rules:\n      - action: deny\n        when: {command_matches: ["ls"]}\n')
    expect(evaluate(loadPolicy({cwd: dir, env: s.env}), exec('ls')).action).toBe('deny')
    expect(evaluate(loadPolicy({cwd: dir, env: s.env, noProject: true}), exec('ls')).action).toBe('allow')
    expect(evaluate(loadPolicy({cwd: dir, env: {...s.env, RAMPART_NO_PROJECT_POLICY: '1'}}), exec('ls')).action).toBe('allow')
  })

  it('durable overrides beat ask, watch and the default, never a deny', () => {
    const s = sandbox()
    write(join(s.rampartHome, 'policies', 'user-overrides.yaml'), `policies:
  - name: custom-allow-commands
    match: {tool: [exec]}
    rules:
      - action: allow
        when:
          command_matches: ["npm publish*", "env", "rm -rf /", "terraform plan"]
`)
    write(join(s.rampartHome, 'policies', 'zz-strict.yaml'), 'policies:\n  - name: zz\n    rules:\n      - action: ask\n        when: {command_matches: ["terraform *"]}\n')
    const set = loadPolicy({cwd: s.cwd, env: s.env})
    expect(evaluate(set, exec('npm publish')).action).toBe('allow')
    expect(evaluate(set, exec('env')).action).toBe('allow')
    expect(evaluate(set, exec('terraform plan')).action).toBe('allow')
    expect(evaluate(set, exec('rm -rf /')).action).toBe('deny')
  })

  it('an override file recognised by name, not by policy name', () => {
    const s = sandbox()
    write(join(s.rampartHome, 'policies', 'my-allows.yaml'), `policies:
  - name: custom-allow-commands
    rules:
      - action: allow
        when: {command_matches: ["npm publish*"]}
`)
    expect(evaluate(loadPolicy({cwd: s.cwd, env: s.env}), exec('npm publish')).action).toBe('ask')
  })

  it('keeps file and line for every policy and rule', () => {
    const s = sandbox()
    const file = write(join(s.root, 'p.yaml'), `version: "1"
policies:
  - name: first
    rules:
      - action: allow
      - action: deny
        when: {command_matches: ["x"]}
`)
    const set = loadPolicy({cwd: s.cwd, env: s.env, config: file})
    const p = set.policies[0]
    expect(p?.pos).toMatchObject({file, line: 3})
    expect(p?.rules.map((r) => r.pos.line)).toEqual([5, 6])
  })
})

describe('match.tool', () => {
  it('plain names match exactly, glob characters still make a glob', () => {
    const set = policyFrom(`default_action: allow
policies:
  - name: plain
    match: {tool: [exec, read]}
    rules: [{action: deny, message: plain}]
  - name: globbed
    match: {tool: ["mcp__*", "web?etch"]}
    rules: [{action: deny, message: globbed}]
`)
    const names = (tool: string) => set.forTool(tool).map((p) => p.name)
    expect(names('exec')).toEqual(['plain'])
    expect(names('Exec')).toEqual([])
    expect(names('exec ')).toEqual([])
    expect(names('mcp__github__create_issue')).toEqual(['globbed'])
    expect(names('webfetch')).toEqual(['globbed'])
    expect(names('write')).toEqual([])
  })
})
