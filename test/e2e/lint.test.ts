import {execFileSync} from 'node:child_process'
import {mkdirSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {sandbox, write} from '../helpers.js'
import {BIN, rampart} from './run.js'

const require = createRequire(import.meta.url)

const BAD = `default_action: deny
policies:
  - name: p
    priority: 0
    rules:
      - action: deny
        when: {comand_matches: ["x"]}
`
const WARN_ONLY = 'default_action: deny\npolicies:\n  - name: p\n    priority: 0\n    rules: [{action: deny, when: {command_matches: ["x"]}}]\n'

function repo() {
  const s = sandbox()
  const dir = join(s.cwd, 'repo')
  mkdirSync(join(dir, '.git'), {recursive: true})
  return {s, dir}
}

describe('rampart policy lint (end to end)', () => {
  it('text: file:line:col severity id message — fix; exit 1 on errors; paths relative to the repository', () => {
    const {s, dir} = repo()
    write(join(dir, '.rampart', 'policy.yaml'), BAD)
    const r = rampart(['policy', 'lint'], {...s, cwd: dir})
    expect(r.code).toBe(1)
    expect(r.stdout).toContain(".rampart/policy.yaml:7:16 error RAM001 unknown key 'comand_matches' in 'when' — did you mean 'command_matches'?")
    expect(r.stdout.trim().split('\n').pop()).toBe('1 error, 0 warnings in 1 file')
  })

  it('default targets: the project policy, its suites and the global files', () => {
    const {s, dir} = repo()
    write(join(dir, '.rampart', 'policy.yaml'), WARN_ONLY)
    write(join(dir, '.rampart', 'tests', 'a.yaml'), 'tests:\n  - name: x\n    params: {command: ls}\n    expect: allw\n')
    write(join(s.rampartHome, 'policies', 'mine.yaml'), WARN_ONLY)
    const j = JSON.parse(rampart(['policy', 'lint', '--format', 'json'], {...s, cwd: dir}).stdout)
    expect(j.files).toHaveLength(3)
    expect(j.findings.map((f: {id: string}) => f.id).sort()).toEqual(['RAM002', 'RAM110', 'RAM110'])
  })

  it('warnings pass unless --strict', () => {
    const {s, dir} = repo()
    const f = write(join(dir, 'p.yaml'), WARN_ONLY)
    expect(rampart(['policy', 'lint', f], s).code).toBe(0)
    expect(rampart(['policy', 'lint', f, '--strict'], s).code).toBe(1)
  })

  it('a file that is not YAML at all: exit 5, still reported with its position', () => {
    const {s, dir} = repo()
    const f = write(join(dir, 'p.yaml'), 'policies:\n  - name: [unclosed\n')
    const r = rampart(['policy', 'lint', f], s)
    expect(r.code).toBe(5)
    expect(r.stdout).toMatch(/p\.yaml:\d+:\d+ error RAM003 invalid YAML/)
  })

  it('github: workflow annotation commands', () => {
    const {s, dir} = repo()
    write(join(dir, '.rampart', 'policy.yaml'), BAD)
    const r = rampart(['policy', 'lint', '--format', 'github'], {...s, cwd: dir})
    expect(r.stdout.split('\n')).toContain("::error file=.rampart/policy.yaml,line=7,col=16,title=RAM001 rampart policy lint::unknown key 'comand_matches' in 'when' — did you mean 'command_matches'?")
    write(join(dir, 'warn.yaml'), WARN_ONLY)
    const w = rampart(['policy', 'lint', 'warn.yaml', '--format', 'github'], {...s, cwd: dir})
    expect(w.stdout).toContain('::warning file=warn.yaml,line=4,col=15,title=RAM110 rampart policy lint::policy \'p\' has priority 0')
  })

  it('sarif: valid SARIF 2.1.0 with rule metadata, repo-relative URIs, regions and stable fingerprints', () => {
    const {s, dir} = repo()
    const file = write(join(dir, '.rampart', 'policy.yaml'), BAD)
    const r = rampart(['policy', 'lint', '--format', 'sarif'], {...s, cwd: dir})
    const sarif = JSON.parse(r.stdout)
    const Ajv = require('ajv-draft-04')
    const schema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json')
    const validate = new Ajv({strict: false, allErrors: true, unicodeRegExp: false, validateFormats: false, logger: false}).compile(schema)
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true)
    const run = sarif.runs[0]
    expect(run.tool.driver.rules.find((x: {id: string}) => x.id === 'RAM001')).toMatchObject({name: 'unknown-key', defaultConfiguration: {level: 'error'}})
    const result = run.results.find((x: {ruleId: string}) => x.ruleId === 'RAM001')
    expect(result.locations[0].physicalLocation).toEqual({artifactLocation: {uri: '.rampart/policy.yaml', uriBaseId: 'SRCROOT'}, region: {startLine: 7, startColumn: 16}})
    // the fingerprint does not move when unrelated lines are added above
    write(file, '# a comment\n# another\n' + BAD)
    const again = JSON.parse(rampart(['policy', 'lint', '--format', 'sarif'], {...s, cwd: dir}).stdout).runs[0].results.find((x: {ruleId: string}) => x.ruleId === 'RAM001')
    expect(again.locations[0].physicalLocation.region.startLine).toBe(9)
    expect(again.partialFingerprints).toEqual(result.partialFingerprints)
  })

  it('the lean entry and oclif give the same output and exit code', () => {
    const {s, dir} = repo()
    write(join(dir, '.rampart', 'policy.yaml'), BAD)
    for (const args of [['policy', 'lint'], ['policy', 'lint', '--format', 'sarif'], ['policy', 'lint', '--json']]) {
      const fast = rampart(args, {...s, cwd: dir})
      const slow = rampart(args, {...s, cwd: dir, env: {...s.env, RAMPART_NO_FAST_PATH: '1'}})
      expect(fast.code).toBe(slow.code)
      expect(fast.stdout.trim()).toBe(slow.stdout.trim())
    }
  })

  it('the shipped profile, its suite and the template lint clean with --strict', () => {
    const s = sandbox()
    const root = new URL('../..', import.meta.url).pathname
    const r = rampart(['policy', 'lint', '--strict', join(root, 'policies/standard.yaml'), join(root, 'policies/standard.test.yaml'), join(root, 'templates/policy.yaml')], s)
    expect(r.stdout.trim()).toBe('0 errors, 0 warnings in 3 files')
    expect(r.code).toBe(0)
  })
})

describe('pre-commit hooks', () => {
  const hooks = readFileSync(new URL('../../.pre-commit-hooks.yaml', import.meta.url), 'utf8')

  it('declares rampart-policy-lint and rampart-test for the pre-commit framework', () => {
    expect(hooks).toMatch(/- id: rampart-policy-lint\n {2}name: [^\n]+\n {2}entry: rampart policy lint\n {2}language: node/)
    expect(hooks).toMatch(/- id: rampart-test\n {2}name: [^\n]+\n {2}entry: rampart test\n {2}language: node/)
  })

  it('the hook entries work on staged files in a real git repository', () => {
    const {s, dir} = repo()
    const git = (...args: string[]) => execFileSync('git', args, {cwd: dir, encoding: 'utf8', env: {...process.env, ...s.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t'}})
    execFileSync('rm', ['-rf', join(dir, '.git')])
    git('init', '-q')
    write(join(dir, '.rampart', 'policy.yaml'), 'policies:\n  - name: p\n    rules:\n      - action: deny\n        when: {command_matches: ["make deploy"]}\ntests:\n  - name: deploy is denied\n    params: {command: make deploy}\n    expect: deny\n')
    write(join(dir, 'README.md'), '# x\n')
    git('add', '-A')
    // what pre-commit does: the files it matches (here: .rampart YAML) passed to the entry
    const lintHook = /- id: rampart-policy-lint[\s\S]*?files: '([^']+)'/.exec(hooks)?.[1] as string
    const staged = git('diff', '--cached', '--name-only').trim().split('\n').filter((f) => new RegExp(lintHook).test(f))
    expect(staged).toEqual(['.rampart/policy.yaml'])
    const ok = rampart(['policy', 'lint', ...staged], {...s, cwd: dir})
    expect(ok.code).toBe(0)
    expect(rampart(['test'], {...s, cwd: dir}).code).toBe(0)
    // a broken policy staged: the hook fails the commit
    write(join(dir, '.rampart', 'policy.yaml'), 'policies:\n  - name: p\n    rules:\n      - action: block\n')
    git('add', '-A')
    const bad = rampart(['policy', 'lint', ...staged], {...s, cwd: dir})
    expect(bad.code).toBe(1)
    expect(bad.stdout).toContain("did you mean 'deny'?")
    expect(BIN).toBeTruthy()
  })
})
