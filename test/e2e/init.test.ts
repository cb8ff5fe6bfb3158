import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {sandbox} from '../helpers.js'
import {rampart} from './run.js'

function repo() {
  const s = sandbox()
  const dir = join(s.cwd, 'app')
  mkdirSync(dir)
  execFileSync('git', ['init', '-q', '-b', 'feature'], {cwd: dir, env: {...process.env, HOME: s.home, GIT_CONFIG_NOSYSTEM: '1'}})
  mkdirSync(join(dir, 'src'))
  return {s, dir}
}

describe('rampart init', () => {
  it('writes the policy, a suite, the workflow and pre-commit config; they lint clean and their tests pass', () => {
    const {s, dir} = repo()
    const r = rampart(['init', '--github', '--pre-commit'], {...s, cwd: join(dir, 'src')})
    expect(r.code).toBe(0)
    for (const f of ['.rampart/policy.yaml', '.rampart/tests/policy.test.yaml', '.github/workflows/rampart.yml', '.pre-commit-config.yaml']) expect(existsSync(join(dir, f)), f).toBe(true)
    const policy = readFileSync(join(dir, '.rampart', 'policy.yaml'), 'utf8')
    expect(policy.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=/)
    expect(policy).toContain('built-in\n# standard profile')
    const lint = rampart(['policy', 'lint', '--strict'], {...s, cwd: dir})
    expect(lint.stdout.trim().split('\n').pop()).toBe('0 errors, 0 warnings in 2 files')
    expect(lint.code).toBe(0)
    const test = rampart(['test'], {...s, cwd: dir})
    expect(test.stdout.trim().split('\n').pop()).toBe('8 passed, 0 failed')
    expect(test.code).toBe(0)
  })

  it('never overwrites without --force, and writes nothing when one file exists', () => {
    const {s, dir} = repo()
    mkdirSync(join(dir, '.rampart'))
    writeFileSync(join(dir, '.rampart', 'policy.yaml'), '# mine\n')
    const r = rampart(['init'], {...s, cwd: dir})
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('.rampart/policy.yaml already exists')
    expect(r.stderr).toContain('--force')
    expect(readFileSync(join(dir, '.rampart', 'policy.yaml'), 'utf8')).toBe('# mine\n')
    expect(existsSync(join(dir, '.rampart', 'tests'))).toBe(false)
    expect(rampart(['init', '--force'], {...s, cwd: dir}).code).toBe(0)
    expect(readFileSync(join(dir, '.rampart', 'policy.yaml'), 'utf8')).toContain('project-guardrails')
  })

  it('an unknown profile is a usage error listing the valid ones', () => {
    const {s, dir} = repo()
    const r = rampart(['init', '--profile', 'nope'], {...s, cwd: dir})
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/unknown profile 'nope' — use one of: .*standard/)
  })
})
