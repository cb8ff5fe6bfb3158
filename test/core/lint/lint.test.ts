import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {lintFiles, type Finding} from '../../../src/core/lint/lint.js'
import {LINT_RULES} from '../../../src/core/lint/rules.js'
import {sandbox, write} from '../../helpers.js'

function lint(yaml: string | Buffer, name = 'p.yaml') {
  const s = sandbox()
  const file = join(s.root, name)
  writeFileSync(file, yaml)
  return {file, ...lintFiles([file], {cwd: s.root, home: s.home, rampartHome: s.rampartHome, now: Date.parse('2026-06-01T00:00:00Z')})}
}

const ids = (findings: Finding[]) => findings.map((f) => `${f.id}@${f.line}:${f.col}`)

describe('lint findings: each with a stable id, position and fix', () => {
  it.each([
    ['RAM001 unknown key with did-you-mean', 'policies:\n  - name: p\n    rules:\n      - action: deny\n        when: {comand_matches: ["x"]}\n', 'RAM001@5:16', "did you mean 'command_matches'?"],
    ['RAM002 wrong type', 'policies:\n  - name: p\n    priority: soon\n', 'RAM002@3:15', 'integer'],
    ['RAM004 duplicate policy name', 'policies:\n  - name: a\n  - name: a\n', 'RAM004@3:11', 'unique'],
    ['RAM005 invalid action with suggestion', 'policies:\n  - name: p\n    rules:\n      - action: approve\n', 'RAM005@4:17', "did you mean 'ask'?"],
    ['RAM006 third **', 'policies:\n  - name: p\n    rules:\n      - action: deny\n        when: {path_matches: ["/**/a/**/b/**"]}\n', 'RAM006@5:31', 'at most two'],
    ['RAM007 invalid regex', 'policies:\n  - name: p\n    rules:\n      - action: deny\n        when: {response_matches: ["(?<=x)y"]}\n', 'RAM007@5:35', 'RE2'],
    ['RAM008 nested quantifier', 'policies:\n  - name: p\n    rules:\n      - action: deny\n        when: {response_matches: ["(a*b)*"]}\n', 'RAM008@5:35', 'without the outer repetition'],
    ['RAM009 bad call_count', 'policies:\n  - name: p\n    rules:\n      - action: ask\n        when: {call_count: {gte: 5000, window: 1m}}\n', 'RAM009@5:34', ''],
    ['RAM010 blank command_contains', 'policies:\n  - name: p\n    rules:\n      - action: deny\n        when: {command_contains: [" "]}\n', 'RAM010@5:35', 'blank'],
    ['RAM011 only negatives', 'policies:\n  - name: p\n    rules:\n      - action: deny\n        when: {command_not_matches: ["ls"]}\n', 'RAM011@5:15', 'positive condition'],
    ['RAM012 once on deny', 'policies:\n  - name: p\n    rules:\n      - action: deny\n        once: true\n        when: {command_matches: ["x"]}\n', 'RAM012@5:15', 'allow'],
    ['RAM013 bad timestamp', 'policies:\n  - name: p\n    rules:\n      - action: allow\n        expires_at: someday\n', 'RAM013@5:21', 'RFC 3339'],
    ['RAM101 deprecated alias', 'default_action: deny\npolicies:\n  - name: p\n    rules:\n      - action: require_approval\n        when: {command_matches: ["x"]}\n', 'RAM101@5:17', 'ask'],
    ['RAM102 allow without deny', 'default_action: allow\npolicies:\n  - name: p\n    rules:\n      - action: ask\n        when: {command_matches: ["x"]}\n', 'RAM102@1:17', 'blocks nothing'],
    ['RAM103 shadowed by a catch-all', 'default_action: deny\npolicies:\n  - name: p\n    rules:\n      - action: watch\n      - action: deny\n        when: {command_matches: ["x"]}\n', 'RAM103@6:9', 'every call first'],
    ['RAM103 shadowed by an earlier pattern', 'default_action: deny\npolicies:\n  - name: p\n    rules:\n      - action: deny\n        when: {command_matches: ["git *"]}\n      - action: ask\n        when: {command_matches: ["git push *"]}\n', 'RAM103@7:9', 'all of its patterns'],
    ['RAM104 allow that never wins', 'default_action: deny\npolicies:\n  - name: strict\n    priority: 200\n    rules:\n      - action: deny\n        when: {command_matches: ["npm *"]}\n  - name: loose\n    rules:\n      - action: allow\n        when: {command_matches: ["npm install *"]}\n', 'RAM104@10:9', "'strict' rule 1 denies"],
    ['RAM105 ask options on a deny', 'default_action: deny\npolicies:\n  - name: p\n    rules:\n      - action: deny\n        ask: {headless_only: true}\n        when: {command_matches: ["x"]}\n', 'RAM105@6:9', 'no effect'],
    ['RAM107 reference dialect', 'default_action: deny\npolicies:\n  - name: p\n    rules:\n      - action: deny\n        when: {command_matches: ["*.pub"]}\n', 'RAM107@6:34', 'unanchored'],
    ['RAM109 expired rule', 'default_action: deny\npolicies:\n  - name: p\n    rules:\n      - action: allow\n        expires_at: "2026-01-01T00:00:00Z"\n        when: {command_matches: ["x"]}\n', 'RAM109@6:21', 'delete'],
    ['RAM110 priority 0', 'default_action: deny\npolicies:\n  - name: p\n    priority: 0\n    rules: [{action: deny, when: {command_matches: ["x"]}}]\n', 'RAM110@4:15', 'reference'],
  ])('%s', (_name, yaml, want, hint) => {
    const r = lint(yaml)
    expect(ids(r.findings)).toContain(want)
    const f = r.findings.find((x) => `${x.id}@${x.line}:${x.col}` === want) as Finding
    expect(`${f.message} — ${f.hint}`).toContain(hint)
    expect(f.severity).toBe(LINT_RULES.find((x) => x.id === f.id)?.severity)
  })

  it('reports every problem of a file, not just the first', () => {
    const r = lint('policies:\n  - name: a\n    rulez: []\n  - name: b\n    priority: x\n    rules:\n      - action: block\n')
    expect(ids(r.findings).sort()).toEqual(['RAM001@3:5', 'RAM002@5:15', 'RAM005@7:17'])
  })

  it('RAM106 and RAM108 in a project policy', () => {
    const s = sandbox()
    const repo = join(s.cwd, 'repo')
    mkdirSync(join(repo, '.git'), {recursive: true})
    write(join(repo, '.github', 'workflows', 'ci.yml'), 'on: push\njobs: {test: {runs-on: ubuntu-latest, steps: [{run: npm test}]}}\n')
    const file = write(join(repo, '.rampart', 'policy.yaml'), 'policies:\n  - name: p\n    rules:\n      - action: allow\n        when: {command_matches: ["make"]}\n      - action: ask\n        when: {command_matches: ["make deploy"]}\n')
    const r = lintFiles([file], {cwd: repo, home: s.home, rampartHome: s.rampartHome})
    expect(ids(r.findings)).toEqual(expect.arrayContaining(['RAM108@4:17', 'RAM106@6:9']))
  })

  it('suites: unknown fields and a missing policy file', () => {
    const r = lint('policy: nope.yaml\ntests:\n  - name: x\n    params: {command: ls}\n    expect: allow\n    expct: deny\n', 'suite.yaml')
    expect(ids(r.findings)).toEqual(expect.arrayContaining(['RAM001@6:5', 'RAM014@1:9']))
  })

  it('suppression comments silence warnings, never errors', () => {
    const r = lint('# rampart-lint-disable-file RAM110\ndefault_action: deny\npolicies:\n  - name: p\n    priority: 0\n    rules:\n      # rampart-lint-disable-next-line RAM107\n      - action: deny\n        when: {command_matches: ["*.pub"]}\n      - action: nope\n')
    expect(ids(r.findings)).toEqual(['RAM005@10:17'])
  })
})

describe('bad input never crashes or hangs', () => {
  it('a binary file is unreadable (exit 5), with a finding', () => {
    const r = lint(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]))
    expect(r.unreadable).toHaveLength(1)
    expect(r.findings[0]?.id).toBe('RAM003')
  })
  it('an empty file passes', () => {
    expect(lint('').findings).toEqual([])
  })
  it('a YAML alias bomb is refused', () => {
    const bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n'
    const r = lint(bomb)
    expect(r.findings[0]?.id).toBe('RAM003')
    expect(r.findings[0]?.message).toMatch(/alias/i)
  })
  it('5,000 policies lint in reasonable time', () => {
    const yaml = 'default_action: deny\npolicies:\n' + Array.from({length: 5000}, (_, i) => `  - name: p${i}\n    rules:\n      - action: deny\n        when: {command_matches: ["cmd${i} *"]}\n`).join('')
    const r = lint(yaml)
    expect(r.findings).toEqual([])
  })
  it('tabs used for indentation get a clear finding', () => {
    const r = lint('policies:\n\t- name: p\n')
    expect(r.findings[0]?.id).toBe('RAM003')
    expect(`${r.findings[0]?.message} ${r.findings[0]?.hint}`).toMatch(/tab/i)
  })
  it('CRLF line endings and a byte-order mark are fine, positions stay right', () => {
    const r = lint('\uFEFFdefault_action: deny\r\npolicies:\r\n  - name: p\r\n    priority: 0\r\n    rules: [{action: deny, when: {command_matches: ["x"]}}]\r\n')
    expect(ids(r.findings)).toEqual(['RAM110@4:15'])
  })
})

describe('docs/lint-rules.md', () => {
  it('lists every lint rule with its severity', async () => {
    const {readFileSync} = await import('node:fs')
    const doc = readFileSync(new URL('../../../docs/lint-rules.md', import.meta.url), 'utf8')
    for (const r of LINT_RULES) expect(doc).toContain(`| ${r.id} | ${r.severity} | ${r.title} |`)
  })
})
