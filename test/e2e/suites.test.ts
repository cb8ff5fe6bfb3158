import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {sandbox, write} from '../helpers.js'
import {rampart} from './run.js'

const POLICY = `default_action: allow
policies:
  - name: no-rm
    rules:
      - action: deny
        when: {command_matches: ["rm *"]}
        message: "No rm here"
  - name: unused
    rules:
      - action: ask
        when: {command_matches: ["terraform apply*"]}
`

function setup() {
  const s = sandbox()
  write(join(s.root, 'p.yaml'), POLICY)
  const good = write(join(s.root, 'good.yaml'), `policy: p.yaml
tests:
  - name: rm is denied
    params: {command: "rm x"}
    expect: deny
    expect_message: "No rm*"
  - name: ls is fine
    params: {command: ls}
    expect: allow
  - name: "wrong <on> purpose & \\"quoted\\""
    params: {command: "rm y"}
    expect: allow
`)
  return {s, good}
}

/** Enough of an XML well-formedness check for our output: balanced tags, quoted attributes, escaped text. */
function wellFormed(xml: string): boolean {
  const body = xml.replace(/^<\?xml[^>]*\?>\s*/, '')
  const stack: string[] = []
  const tag = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/g
  let m: RegExpExecArray | null
  let consumed = 0
  while ((m = tag.exec(body))) {
    if (m.index !== consumed) return false
    consumed = tag.lastIndex
    if (m[5] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[5])) return false
      continue
    }
    if (m[1]) {
      if (stack.pop() !== m[2]) return false
    } else if (!m[4]) stack.push(m[2] as string)
  }
  return consumed === body.length && stack.length === 0
}

describe('rampart test SUITE.yaml ...', () => {
  it('--verbose shows the message, the deciding rule with file:line, and the time', () => {
    const {s, good} = setup()
    const r = rampart(['test', good, '--verbose'], s)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/PASS rm is denied .*\n {5}deny by no-rm#1 \(.*p\.yaml:5\) in [\d.]+ µs — No rm here/)
    expect(r.stdout.trim().split('\n').pop()).toBe('2 passed, 1 failed')
  })

  it('--junit writes well-formed JUnit XML with the failure', () => {
    const {s, good} = setup()
    const out = join(s.root, 'junit.xml')
    rampart(['test', good, '--junit', out], s)
    const xml = readFileSync(out, 'utf8')
    expect(wellFormed(xml)).toBe(true)
    expect(xml).toContain('<testsuites name="rampart" tests="3" failures="1" errors="0"')
    expect(xml).toContain('name="wrong &lt;on&gt; purpose &amp; &quot;quoted&quot;"')
    expect(xml).toMatch(/<failure message="expected allow, got deny from no-rm#1: No rm here" type="decision">/)
  })

  it('--run filters by name; selecting nothing says so and exits 1', () => {
    const {s, good} = setup()
    const r = rampart(['test', good, '--run', 'rm*'], s)
    expect(r.code).toBe(0)
    expect(r.stdout.trim().split('\n').pop()).toBe('1 passed, 0 failed, 2 skipped')
    const none = rampart(['test', good, '--run', 'nothing*'], s)
    expect(none.code).toBe(1)
    expect(none.stdout).toContain('no test case matches --run "nothing*"')
  })

  it('an invalid suite is reported with file:line:col and exit 5, and the other suites still run', () => {
    const {s, good} = setup()
    const bad = write(join(s.root, 'bad.yaml'), 'policy: p.yaml\ntests:\n  - name: x\n    params: {command: ls}\n    expect: allow\n    expct_rule: y\n')
    const unknownExpect = write(join(s.root, 'bad2.yaml'), 'policy: p.yaml\ntests:\n  - name: x\n    params: {command: ls}\n    expect: maybe\n')
    const missing = write(join(s.root, 'bad3.yaml'), 'policy: nope.yaml\ntests:\n  - name: x\n    params: {command: ls}\n    expect: allow\n')
    const r = rampart(['test', bad, good, unknownExpect, missing], s)
    expect(r.code).toBe(5)
    expect(r.stdout).toContain(`${bad}:6:5: unknown key 'expct_rule' in item 1 of 'tests' — did you mean 'expect_rule'?`)
    expect(r.stdout).toContain(`${unknownExpect}:5:13: invalid value "maybe"`)
    expect(r.stdout).toContain(`${missing}:1:9: the suite names nope.yaml, which does not exist`)
    expect(r.stdout.trim().split('\n').pop()).toBe('2 passed, 1 failed')
  })

  it('--coverage lists rules no case makes decide; --min-coverage fails under the threshold', () => {
    const {s, good} = setup()
    const r = rampart(['test', good, '--coverage', '--run', 'rm*'], s)
    expect(r.stdout).toContain('Rule coverage: 1 of 2 rules decided at least one case (50%)')
    expect(r.stdout).toMatch(/unused#1 +ask +0 +0 .*p\.yaml:10 {2}no case makes it decide/)
    expect(r.code).toBe(0)
    const low = rampart(['test', good, '--run', 'rm*', '--min-coverage', '80'], s)
    expect(low.code).toBe(1)
    expect(low.stdout).toContain('rule coverage 50% is below --min-coverage 80')
    const j = JSON.parse(rampart(['test', good, '--coverage', '--json'], s).stdout)
    expect(j.coverage).toMatchObject({total: 2, covered: 1, percent: 50})
    expect(j.coverage.rules[0]).toMatchObject({policy: 'no-rm', rule: 1, positive: ['rm is denied', 'wrong <on> purpose & "quoted"'], negative: []})
  })

  it('--mutate reports a disguise that gets a weaker decision, with its exact text, and exits 1', () => {
    const s = sandbox()
    // the author wrote the flags as -fr: only the raw spelling matches, the canonical form is rm -rf
    write(join(s.root, 'weak.yaml'), 'default_action: allow\npolicies:\n  - name: no-wipe\n    rules:\n      - action: deny\n        when: {command_matches: ["rm -fr /"]}\n')
    const suite = write(join(s.root, 'weak.test.yaml'), 'policy: weak.yaml\ntests:\n  - name: wipe\n    params: {command: "rm -fr /"}\n    expect: deny\n')
    const r = rampart(['test', suite, '--mutate'], s)
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('BYPASS wipe')
    expect(r.stdout).toMatch(/split-flags: deny → allow {2}rm -f -r \//)
    const j = JSON.parse(rampart(['test', suite, '--mutate', '--json'], s).stdout)
    expect(j.mutations.bypasses).toEqual(expect.arrayContaining([expect.objectContaining({name: 'wipe', technique: 'split-flags', command: 'rm -f -r /', expected: 'deny', got: 'allow'})]))
    // written canonically, no disguise gets through
    write(join(s.root, 'weak.yaml'), 'default_action: allow\npolicies:\n  - name: no-wipe\n    rules:\n      - action: deny\n        when: {command_matches: ["rm -rf /"]}\n')
    const fixed = rampart(['test', suite, '--mutate'], s)
    expect(fixed.stdout).toMatch(/Mutations: \d+ disguises of 1 deny\/ask cases, 0 bypasses/)
    expect(fixed.code).toBe(0)
  })

  it('runs a suite written for the Go tool unchanged', () => {
    const s = sandbox()
    write(join(s.root, 'policy.yaml'), `version: "1"
default_action: allow
policies:
  - name: block-force-push
    match:
      tool: exec
    rules:
      - action: deny
        when:
          command_matches: ["git push --force*"]
        message: "Force pushes are not allowed"
`)
    const suite = write(join(s.root, 'policy_test.yaml'), `policy: policy.yaml
tests:
  - name: deny force push
    tool: exec
    agent: test
    params:
      command: "git push --force origin main"
    expect: deny
    expect_message: "Force push*"
  - name: allow normal push
    tool: exec
    params:
      command: "git push origin main"
    expect: allow
`)
    const r = rampart(['test', suite], s)
    expect(r.stdout.trim()).toBe('2 passed, 0 failed')
    expect(r.code).toBe(0)
  })
})
