import {mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {sandbox, write} from '../helpers.js'
import {rampart} from './run.js'

describe('rampart test "<call>" (end to end)', () => {
  it('exit 3 and the deciding rule for a denied command', () => {
    const s = sandbox()
    const r = rampart(['test', "bash -c 'rm -rf /'"], s)
    expect(r.code).toBe(3)
    expect(r.stdout).toContain('Decision: deny')
    expect(r.stdout).toMatch(/Matched: {2}block-destructive \(.*policies\/standard\.yaml:\d+, rule 1\)/)
    expect(r.stdout).toContain('Message:  Destructive command blocked')
  })

  it('exit 0 for allow and for watch', () => {
    const s = sandbox()
    expect(rampart(['test', 'git status'], s).code).toBe(0)
    const watch = rampart(['test', 'printenv'], s)
    expect(watch.code).toBe(0)
    expect(watch.stdout).toContain('Decision: watch')
  })

  it('exit 4 for ask', () => {
    const s = sandbox()
    const r = rampart(['test', 'npm publish'], s)
    expect(r.code).toBe(4)
    expect(r.stdout).toContain('Publishing a package needs approval')
  })

  it('--json prints the Decision', () => {
    const s = sandbox()
    const r = rampart(['test', 'curl https://api.example.com/data', '--json', '--config', write(join(s.root, 'p.yaml'), `default_action: allow
policies:
  - name: no-curl
    rules:
      - action: deny
        when: {command_matches: ["curl *"]}
        message: no curl here
`), '--session', 'myapp/main'], s)
    expect(r.code).toBe(3)
    const d = JSON.parse(r.stdout)
    expect(d).toMatchObject({
      action: 'deny',
      message: 'no curl here',
      matched_policies: ['no-curl'],
      session: 'myapp/main',
      headless_only: false,
      audit: false,
      from_project: false,
      suggestions: ['rampart allow "curl https://api.example.com/data"', 'rampart allow "curl *"   # allows any curl command'],
    })
    expect(d.matched_rules[0]).toMatchObject({policy: 'no-curl', rule: 1, line: 5})
    expect(typeof d.eval_us).toBe('number')
  })

  it('--tool read/write/edit/fetch take a path or URL', () => {
    const s = sandbox()
    expect(rampart(['test', '~/.ssh/id_rsa', '--tool', 'read'], s).code).toBe(3)
    expect(rampart(['test', 'src/index.ts', '--tool', 'write'], s).code).toBe(0)
    expect(rampart(['test', 'https://webhook.site/x', '--tool', 'fetch'], s).code).toBe(3)
    expect(rampart(['test', 'https://nodejs.org/', '--tool', 'fetch'], s).code).toBe(0)
  })

  it('--headless turns a headless_only ask into a deny; --agent scopes policies', () => {
    const s = sandbox()
    const config = write(join(s.root, 'p.yaml'), `default_action: allow
policies:
  - name: prod
    match: {agent: "claude-*"}
    rules:
      - action: ask
        ask: {headless_only: true}
        when: {command_matches: ["*--env=production*"]}
`)
    expect(rampart(['test', 'deploy --env=production', '--config', config], s).code).toBe(4)
    expect(rampart(['test', 'deploy --env=production', '--config', config, '--headless'], s).code).toBe(3)
    expect(rampart(['test', 'deploy --env=production', '--config', config, '--agent', 'other'], s).code).toBe(0)
  })

  it('--profile and --cwd with a project policy that only tightens', () => {
    const s = sandbox()
    const repo = join(s.cwd, 'repo')
    mkdirSync(join(repo, '.git'), {recursive: true})
    write(join(repo, '.rampart', 'policy.yaml'), 'policies:\n  - name: no-make\n    rules:\n      - action: deny\n        when: {command_matches: ["make deploy"]}\n')
    expect(rampart(['test', 'make deploy', '--cwd', repo], s).code).toBe(3)
    expect(rampart(['test', 'make deploy', '--cwd', repo, '--no-project'], s).code).toBe(0)
    expect(rampart(['test', 'ls', '--profile', 'standard'], s).code).toBe(0)
  })

  it('an invalid policy: exit 5 and one line with file:line:col and a fix', () => {
    const s = sandbox()
    const bad = write(join(s.root, 'bad.yaml'), 'policies:\n  - name: p\n    rules:\n      - action: deny\n        when:\n          comand_matches: ["x"]\n')
    const r = rampart(['test', 'ls', '--config', bad], s)
    expect(r.code).toBe(5)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain(`${bad}:6:11: unknown key 'comand_matches' in 'when' — did you mean 'command_matches'?`)
    const j = rampart(['test', 'ls', '--config', bad, '--json'], s)
    expect(j.code).toBe(5)
    expect(JSON.parse(j.stdout).error.exit_code).toBe(5)
  })

  it('a bad global file is reported even though only the built-in profile was asked for', () => {
    const s = sandbox()
    write(join(s.rampartHome, 'policies', 'x.yaml'), 'policies: [{name: p, rules: [{action: approve}]}]\n')
    const r = rampart(['test', 'ls'], s)
    expect(r.code).toBe(5)
    expect(r.stderr).toContain("did you mean 'ask'?")
  })

  it('usage errors exit 2', () => {
    const s = sandbox()
    expect(rampart(['test', 'ls', '--bogus'], s).code).toBe(2)
    expect(rampart(['test', 'ls', '--profile', 'nope'], s).code).toBe(2)
    const many = rampart(['test', 'git', 'status'], s)
    expect(many.code).toBe(2)
    expect(many.stderr).toContain('quote the whole command')
  })

  it('the lean entry and oclif give the same answer', () => {
    const s = sandbox()
    for (const args of [['test', 'sudo rm -rf ~', '--json'], ['test', 'README.md', '--tool', 'read', '--json'], ['test', 'x', '--profile', 'nope']]) {
      const fast = rampart(args, s)
      const slow = rampart(args, {...s, env: {...s.env, RAMPART_NO_FAST_PATH: '1'}})
      expect(fast.code).toBe(slow.code)
      const strip = (t: string) => t.replace(/"eval_us": [\d.]+/, '')
      expect(strip(fast.stdout)).toBe(strip(slow.stdout))
      expect(fast.stderr).toBe(slow.stderr)
    }
  })
})

describe('rampart test SUITE.yaml', () => {
  it('runs a suite and ends with the summary line; failures exit 1', () => {
    const s = sandbox()
    const policy = write(join(s.root, 'p.yaml'), 'default_action: allow\npolicies:\n  - name: no-rm\n    rules:\n      - action: deny\n        when: {command_matches: ["rm *"]}\n')
    const suite = write(join(s.root, 'suite.yaml'), `policy: p.yaml
tests:
  - name: rm is denied
    params: {command: "rm x"}
    expect: deny
    expect_rule: no-rm
  - name: ls is allowed
    params: {command: ls}
    expect: allow
  - name: wrong on purpose
    params: {command: "rm y"}
    expect: allow
`)
    expect(policy).toBeTruthy()
    const r = rampart(['test', suite], s)
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('FAIL wrong on purpose')
    expect(r.stdout.trim().split('\n').pop()).toBe('2 passed, 1 failed')
    const j = JSON.parse(rampart(['test', suite, '--json'], s).stdout)
    expect(j).toMatchObject({passed: 2, failed: 1, total: 3})
    expect(j.tests[2]).toMatchObject({name: 'wrong on purpose', passed: false, expected: 'allow', got: 'deny', rule: 'no-rm'})
  })

  it('the shipped standard profile passes its own suite through the real CLI: coverage >= 90%, zero bypasses', () => {
    const s = sandbox()
    const suite = new URL('../../policies/standard.test.yaml', import.meta.url).pathname
    const r = rampart(['test', suite, '--coverage', '--min-coverage', '90', '--mutate'], s)
    expect(r.stdout.trim().split('\n').pop()).toMatch(/^\d{3,} passed, 0 failed$/)
    expect(r.stdout).toMatch(/Mutations: \d+ disguises of \d+ deny\/ask cases, 0 bypasses/)
    expect(r.code).toBe(0)
    const j = JSON.parse(rampart(['test', suite, '--coverage', '--mutate', '--json'], s).stdout)
    expect(j.coverage.percent).toBeGreaterThanOrEqual(90)
    expect(j.mutations.bypasses).toEqual([])
    expect(j.mutations.disguises).toBeGreaterThan(1000)
  })
})

describe('rampart test with no argument', () => {
  it('runs .rampart/tests/*.yaml and the inline tests of the project policy (the shipped template)', () => {
    const s = sandbox()
    const repo = join(s.cwd, 'repo')
    mkdirSync(join(repo, '.git'), {recursive: true})
    write(join(repo, '.rampart', 'policy.yaml'), readFileSync(new URL('../../templates/policy.yaml', import.meta.url), 'utf8'))
    write(join(repo, '.rampart', 'tests', 'extra.yaml'), 'tests:\n  - name: rm root denied\n    params: {command: "rm -rf /"}\n    expect: deny\n')
    const r = rampart(['test'], {...s, cwd: repo})
    expect(r.stdout.trim().split('\n').pop()).toBe('4 passed, 0 failed')
    expect(r.code).toBe(0)
  })

  it('says what to do when there is nothing to run', () => {
    const s = sandbox()
    const r = rampart(['test'], s)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('rampart test "git status"')
  })
})

describe('rampart policy explain', () => {
  it('prints the trace and exits with the decision\'s code; --json has the same decision as rampart test', () => {
    const s = sandbox()
    const r = rampart(['policy', 'explain', "sudo bash -c 'rm -rf ~'"], s)
    expect(r.code).toBe(3)
    expect(r.stdout).toContain('Policies, in priority order')
    expect(r.stdout).toMatch(/block-destructive .*→ deny/)
    expect(r.stdout).toContain('Decision    deny')
    const x = JSON.parse(rampart(['policy', 'explain', 'npm publish', '--json'], s).stdout)
    const t = JSON.parse(rampart(['test', 'npm publish', '--json'], s).stdout)
    delete x.decision.eval_us
    delete t.eval_us
    expect(x.decision).toEqual(t)
    expect(x.policies.length).toBeGreaterThan(10)
  })
})

describe('rampart policy schema', () => {
  it('prints the schema', () => {
    const s = sandbox()
    const r = rampart(['policy', 'schema'], s)
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(readFileSync(new URL('../../schemas/policy.schema.json', import.meta.url), 'utf8')))
  })
})
