import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {PolicyError} from '../../../src/core/errors.js'
import {loadPolicy} from '../../../src/core/policy/load.js'
import {sandbox, write} from '../../helpers.js'

/** Load `yaml` as --config and return the PolicyError it must raise. */
function errorFor(yaml: string): PolicyError {
  const s = sandbox()
  const file = write(join(s.root, 'bad.yaml'), yaml)
  try {
    loadPolicy({cwd: s.cwd, env: s.env, config: file})
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError)
    const e = error as PolicyError
    expect(e.exitCode).toBe(5)
    expect(e.message).not.toContain('\n')
    expect(e.message.startsWith(`${file}:`)).toBe(true)
    expect(e.message).toContain(' — ')
    return e
  }
  throw new Error('expected the policy to be rejected')
}

describe('malformed policies: one line, file:line:col, a fix, exit 5', () => {
  it('bad YAML syntax', () => {
    const e = errorFor('version: "1"\npolicies:\n  - name: x\n    rules: [\n')
    expect(e.pos.line).toBeGreaterThanOrEqual(4)
    expect(e.message).toMatch(/invalid YAML/)
  })

  it('an unknown key, with a did-you-mean', () => {
    const e = errorFor(`version: "1"
policies:
  - name: p
    rules:
      - action: deny
        when:
          comand_matches: ["rm *"]
`)
    expect(e.pos).toMatchObject({line: 7, col: 11})
    expect(e.message).toContain("unknown key 'comand_matches'")
    expect(e.message).toContain("did you mean 'command_matches'?")
  })

  it('an unknown top-level key', () => {
    const e = errorFor('version: "1"\ndefault_acton: deny\n')
    expect(e.pos).toMatchObject({line: 2, col: 1})
    expect(e.message).toContain("did you mean 'default_action'?")
  })

  it('a wrong type', () => {
    const e = errorFor(`policies:
  - name: p
    priority: high
`)
    expect(e.pos).toMatchObject({line: 3, col: 15})
    expect(e.message).toMatch(/'priority' must be an integer/)
  })

  it('a list where a pattern list is expected gets a hint', () => {
    const e = errorFor(`policies:
  - name: p
    rules:
      - action: deny
        when:
          command_matches: "rm -rf /"
`)
    expect(e.pos.line).toBe(6)
    expect(e.message).toContain('must be a list')
  })

  it('an invalid action, with the action it probably meant', () => {
    const e = errorFor(`policies:
  - name: p
    rules:
      - action: block
`)
    expect(e.pos).toMatchObject({line: 4, col: 17})
    expect(e.message).toContain("did you mean 'deny'?")
  })

  it('a third ** in a pattern', () => {
    const e = errorFor(`policies:
  - name: p
    rules:
      - action: deny
        when:
          path_matches: ["/a/**/b/**/c/**"]
`)
    expect(e.pos).toMatchObject({line: 6, col: 26})
    expect(e.message).toContain("more than two '**'")
  })

  it('an invalid regular expression', () => {
    const e = errorFor(`policies:
  - name: p
    rules:
      - action: deny
        when:
          response_matches: ["(unclosed"]
`)
    expect(e.pos.line).toBe(6)
    expect(e.message).toContain('invalid regular expression')
  })

  it('a catastrophic (nested quantifier) regular expression', () => {
    const e = errorFor(`policies:
  - name: p
    rules:
      - action: deny
        when:
          response_matches: ["^(a+)+$"]
`)
    expect(e.pos.line).toBe(6)
    expect(e.message).toContain('nests a repeated group')
  })

  it('a file over 1 MiB', () => {
    const big = 'version: "1"\n' + '# padding\n'.repeat(210_000)
    const e = errorFor(big)
    expect(e.pos).toMatchObject({line: 1, col: 1})
    expect(e.message).toMatch(/1 MiB/)
  })

  it('a second YAML document', () => {
    const e = errorFor('version: "1"\npolicies: []\n---\nversion: "1"\n')
    expect(e.pos.line).toBe(3)
    expect(e.message).toContain('second YAML document')
  })

  it('a duplicate policy name in one file', () => {
    const e = errorFor('policies:\n  - name: a\n  - name: b\n  - name: a\n')
    expect(e.pos.line).toBe(4)
    expect(e.message).toContain("duplicate policy name 'a'")
  })

  it('a duplicate key', () => {
    const e = errorFor('version: "1"\nversion: "1"\n')
    expect(e.pos.line).toBe(2)
  })

  it('a blank command_contains entry', () => {
    const e = errorFor(`policies:
  - name: p
    rules:
      - action: deny
        when:
          command_contains: ["  "]
`)
    expect(e.message).toContain('blank command_contains')
  })

  it('a bad call_count window', () => {
    const e = errorFor(`policies:
  - name: p
    rules:
      - action: deny
        when:
          call_count: {gte: 5, window: 10 minutes}
`)
    expect(e.message).toContain('invalid window')
  })

  it('an unsupported version', () => {
    const e = errorFor('version: "2"\n')
    expect(e.message).toContain('unsupported version')
  })

  it('an invalid expires_at', () => {
    const e = errorFor(`policies:
  - name: p
    rules:
      - action: allow
        expires_at: tomorrow
`)
    expect(e.pos.line).toBe(5)
    expect(e.message).toContain('expires_at')
  })

  it('deep nesting is an error, not a crash', () => {
    const deep = 'policies:\n  - name: p\n    description: ' + '['.repeat(2000) + ']'.repeat(2000) + '\n'
    errorFor(deep)
  })

  it('nothing is half-loaded: a bad global file fails the whole load', () => {
    const s = sandbox()
    write(join(s.rampartHome, 'policies', 'a.yaml'), 'policies:\n  - name: ok\n')
    write(join(s.rampartHome, 'policies', 'b.yaml'), 'policies:\n  - name: bad\n    rules: [{action: nope}]\n')
    expect(() => loadPolicy({cwd: s.cwd, env: s.env})).toThrow(/b\.yaml:3:/)
  })
})

describe('reference policy files load', () => {
  it('accepts integer version, log and require_approval aliases, webhook, single-string match globs', () => {
    const s = sandbox()
    const file = write(join(s.root, 'ref.yaml'), `version: 1
default_action: log
policies:
  - name: a
    priority: 0
    match: {tool: exec, agent: "claude-*"}
    rules:
      - action: require_approval
        when: {command_matches: ["kubectl apply *"]}
      - action: webhook
        webhook: {url: "https://hooks.example.com/x", timeout: 5s, fail_open: false}
        when: {command_matches: ["terraform *"]}
      - action: log
        when: {default: true}
`)
    const set = loadPolicy({cwd: s.cwd, env: s.env, config: file})
    expect(set.defaultAction).toBe('watch')
    const rules = set.policies[0]?.rules ?? []
    expect(rules.map((r) => r.action)).toEqual(['ask', 'deny', 'watch'])
    expect(rules[0]?.audit).toBe(true)
    expect(set.policies[0]?.priority).toBe(0)
  })
})
