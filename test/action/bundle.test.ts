import {execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {sandbox, write} from '../helpers.js'
import {commandFile, GitHubStandIn} from './stand-in.js'

const ROOT = join(import.meta.dirname, '..', '..')
const INDEX = join(ROOT, 'dist', 'action', 'index.cjs')
const HOOK = join(ROOT, 'dist', 'action', 'hook.cjs')

describe('the committed Action bundles', () => {
  it('are what the build makes from the sources (a stale dist/action fails CI)', () => {
    // npm test builds first; the bundles it wrote must be byte-identical to the committed ones
    const changed = execFileSync('git', ['status', '--porcelain', '--', 'dist/action/index.cjs', 'dist/action/hook.cjs', 'action.yml'], {cwd: ROOT, encoding: 'utf8'})
    expect(changed, 'dist/action is stale: run npm run build and commit dist/action/*.cjs').toBe('')
    expect(readFileSync(join(ROOT, 'action.yml'), 'utf8')).toMatch(/using: node24\n\s+main: dist\/action\/index\.cjs/)
  })
})

interface Run {
  code: number
  stdout: string
  outputs: Record<string, string>
  exported: Record<string, string>
  summary: string
}

/** Run a bundled entry the way the runner does: INPUT_* variables, an event file, command files for outputs. */
async function runAction(entry: string, env: Record<string, string>, dir: string): Promise<Run> {
  const files = {GITHUB_OUTPUT: join(dir, 'output'), GITHUB_ENV: join(dir, 'env'), GITHUB_STEP_SUMMARY: join(dir, 'summary'), GITHUB_STATE: join(dir, 'state'), GITHUB_PATH: join(dir, 'path')}
  for (const f of Object.values(files)) writeFileSync(f, '')
  const child = spawn(process.execPath, [entry], {env: {PATH: process.env.PATH ?? '', GITHUB_ACTIONS: 'true', ...files, ...env}, cwd: env.GITHUB_WORKSPACE ?? dir})
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stdout += d.toString()))
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)))
  return {code, stdout, outputs: commandFile(files.GITHUB_OUTPUT), exported: commandFile(files.GITHUB_ENV), summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8')}
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], {cwd, encoding: 'utf8'}).trim()

const POLICY = (rules: string) => `version: "1"
policies:
  - name: team-rules
    match: {tool: [exec]}
    rules:
${rules}`
const DENY_DESTROY = `      - action: deny
        when: {command_matches: ["terraform destroy *"]}
        message: Destroying infrastructure is reviewed by a human
`
const SUITE = `tests:
  - name: terraform destroy is denied
    tool: exec
    params: {command: terraform destroy -auto-approve}
    expect: deny
`

let gh: GitHubStandIn
beforeEach(async () => {
  gh = await GitHubStandIn.start()
})
afterEach(async () => {
  await gh.close()
})

/** A repository whose pull request removes a deny rule (a loosening) — or, with `tighten`, adds one. */
function pullRequest(options: {tighten?: boolean; labels?: string[]; fork?: boolean; brokenLint?: boolean} = {}) {
  const s = sandbox()
  const repo = join(s.root, 'repo')
  mkdirSync(repo)
  git(repo, 'init', '-q')
  write(join(repo, '.rampart', 'policy.yaml'), POLICY(options.tighten ? '      - action: watch\n        when: {command_matches: ["terraform plan*"]}\n' : DENY_DESTROY))
  if (!options.tighten) write(join(repo, '.rampart', 'tests', 'policy.test.yaml'), SUITE)
  write(join(repo, '.rampart', 'tests', 'basics.test.yaml'), 'tests:\n  - name: git status is fine\n    tool: exec\n    params: {command: git status}\n    expect: allow\n')
  git(repo, 'add', '-A')
  git(repo, 'commit', '-qm', 'base')
  const base = git(repo, 'rev-parse', 'HEAD')
  if (options.tighten) write(join(repo, '.rampart', 'policy.yaml'), POLICY('      - action: watch\n        when: {command_matches: ["terraform plan*"]}\n' + DENY_DESTROY))
  else {
    write(join(repo, '.rampart', 'policy.yaml'), POLICY(options.brokenLint ? '      - action: alow\n        when: {command_matches: ["ls"]}\n' : '      - action: watch\n        when: {command_matches: ["terraform plan*"]}\n'))
    execFileSync('rm', ['-f', join(repo, '.rampart', 'tests', 'policy.test.yaml')])
  }
  git(repo, 'add', '-A')
  git(repo, 'commit', '-qm', 'head')
  const head = git(repo, 'rev-parse', 'HEAD')
  gh.setHead(12, head)
  const full = `${gh.owner}/${gh.repo}`
  const event = write(join(s.root, 'event.json'), JSON.stringify({action: 'synchronize', number: 12, pull_request: {
    number: 12, labels: (options.labels ?? []).map((name) => ({name})),
    base: {sha: base, ref: 'main', repo: {full_name: full}}, head: {sha: head, ref: 'feature', repo: {full_name: options.fork ? 'someone/widgets' : full}},
  }}))
  const env = {
    HOME: s.home, RAMPART_HOME: s.rampartHome, GITHUB_WORKSPACE: repo, GITHUB_EVENT_PATH: event, GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_REPOSITORY: full, GITHUB_API_URL: gh.url, INPUT_MODE: 'check', INPUT_TOKEN: 'ghs_actions', INPUT_PROFILE: 'standard',
    'INPUT_ALLOW-LOOSENING-LABEL': 'rampart-allow-loosening', 'INPUT_SARIF-FILE': 'out/rampart.sarif', 'INPUT_JUNIT-FILE': 'out/junit.xml', INPUT_COMMENT: 'true',
    RAMPART_GITHUB_BACKOFF_MS: '5',
  }
  return {s, repo, env}
}

describe('mode: check, run as the runner runs it', () => {
  it('a loosening fails without the label; the diff is one sticky comment, updated in place on the next run', async () => {
    const {s, env} = pullRequest()
    const first = await runAction(INDEX, env, s.root)
    expect(first.code, first.stdout).toBe(1)
    expect(first.stdout).toMatch(/::error::Rampart: \d+ call\(s\) move toward allow — add the 'rampart-allow-loosening' label/)
    expect(first.outputs).toMatchObject({'lint-errors': '0', 'tests-failed': '0'})
    expect(Number(first.outputs.loosenings)).toBeGreaterThan(0)
    expect(first.summary).toContain('### Tests: 1 passed, 0 failed')
    expect(readFileSync(join(env.GITHUB_WORKSPACE, 'out', 'junit.xml'), 'utf8')).toMatch(/<testsuites name="rampart" tests="1" failures="0"/)
    const comments = gh.commentsOn(12)
    expect(comments).toHaveLength(1)
    expect(comments[0]?.body).toContain('<!-- rampart:policy-diff -->')
    expect(comments[0]?.body).toContain('terraform destroy -auto-approve')
    expect(comments[0]?.user.login).toBe('github-actions[bot]')
    expect(first.summary).toContain('### Lint: 0 errors')
    expect(existsSync(join(env.GITHUB_WORKSPACE, 'out', 'rampart.sarif'))).toBe(true)
    // second run: the same comment, edited
    const again = await runAction(INDEX, env, s.root)
    expect(again.code).toBe(1)
    expect(gh.commentsOn(12)).toHaveLength(1)
    expect(gh.requestsTo('PATCH', /\/issues\/comments\/\d+$/)).toHaveLength(1)
  })

  it('the opt-in label lets a loosening pass; a tightening passes anyway', async () => {
    const labelled = pullRequest({labels: ['rampart-allow-loosening']})
    expect((await runAction(INDEX, labelled.env, labelled.s.root)).code).toBe(0)
    const tight = pullRequest({tighten: true})
    const r = await runAction(INDEX, tight.env, tight.s.root)
    expect(r.code, r.stdout).toBe(0)
    expect(r.outputs).toMatchObject({loosenings: '0'})
    expect(Number(r.outputs.tightenings)).toBeGreaterThan(0)
  })

  it('lint errors are annotations on the line and fail the check; tests and JUnit are reported', async () => {
    const {s, env} = pullRequest({brokenLint: true, labels: ['rampart-allow-loosening']})
    const r = await runAction(INDEX, env, s.root)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/::error title=RAM\d+ error,file=\.rampart\/policy\.yaml,line=\d+,col=\d+::.*alow/)
    expect(r.summary).toMatch(/\| error \| RAM\d+ \|/)
    expect(readFileSync(join(env.GITHUB_WORKSPACE, 'out', 'rampart.sarif'), 'utf8')).toMatch(/"version": ?"2\.1\.0"/)
    // the suites cannot run against a policy that does not load, and say so
    expect(r.summary).toMatch(/### Tests: 0 passed, 0 failed, \d+ suite file\(s\) could not run/)
    // the failure message counts each of them once, as the summary does
    const broken = /(\d+) suite file\(s\) could not run/.exec(r.summary)?.[1]
    expect(r.stdout).toContain(`, ${broken} suite file(s) that could not run`)
    expect(readFileSync(join(env.GITHUB_WORKSPACE, 'out', 'junit.xml'), 'utf8')).toMatch(/<error message=".*alow/)
  })

  it('a fork pull request gets no comment: everything goes to the summary', async () => {
    const {s, env} = pullRequest({fork: true})
    const r = await runAction(INDEX, env, s.root)
    expect(r.code).toBe(1)
    expect(gh.commentsOn(12)).toHaveLength(0)
    expect(r.summary).toContain('terraform destroy -auto-approve')
  })
})

describe('mode: setup, then the installed hook', () => {
  it('installs the hook, exports headless mode and the PR channel; headless_only asks are denied at once', async () => {
    const s = sandbox()
    const event = write(join(s.root, 'event.json'), JSON.stringify({pull_request: {number: 12, head: {sha: 'f00d'}}}))
    const r = await runAction(INDEX, {HOME: s.home, GITHUB_EVENT_PATH: event, GITHUB_REPOSITORY: 'octo-org/widgets', GITHUB_HEAD_REF: 'feature', GITHUB_RUN_ID: '4242', INPUT_MODE: 'setup', INPUT_TOKEN: 'ghs_actions', INPUT_AGENT: 'claude-code', 'INPUT_APPROVAL-TIMEOUT-MINUTES': '30'}, s.root)
    expect(r.code, r.stdout).toBe(0)
    expect(r.exported).toMatchObject({RAMPART_HEADLESS: '1', RAMPART_SESSION: 'widgets/feature', RAMPART_RUN_ID: '4242', RAMPART_GITHUB_PR: '12', RAMPART_GITHUB_SHA: 'f00d', RAMPART_APPROVAL_TIMEOUT_MINUTES: '30', RAMPART_HOOK_TIMEOUT: String(30 * 60 + 120)})
    expect(r.stdout).toContain('::add-mask::ghs_actions')
    const settings = JSON.parse(readFileSync(join(s.home, '.claude', 'settings.json'), 'utf8')) as {hooks: {PreToolUse: Array<{hooks: Array<{command: string}>}>}}
    const command = settings.hooks.PreToolUse[0]?.hooks[0]?.command ?? ''
    expect(command).toBe(`node ${HOOK}`)
    expect(settings.hooks.PreToolUse[0]?.hooks[0]).toMatchObject({timeout: 30 * 60 + 120})
    expect(r.outputs['hook-command']).toBe(command)

    // the hook as Claude Code would run it, with the exported environment
    const policy = write(join(s.root, 'policy.yaml'), 'version: "1"\ndefault_action: allow\npolicies:\n  - name: prod\n    rules:\n      - action: ask\n        ask: {headless_only: true}\n        when: {command_matches: ["*--env=production*"]}\n        message: Production operation requires approval\n')
    const payload = JSON.stringify({session_id: 's', cwd: s.cwd, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: {command: 'deploy --env=production'}})
    const out = execFileSync(process.execPath, [HOOK, '--config', policy], {input: payload, encoding: 'utf8', env: {PATH: process.env.PATH ?? '', HOME: s.home, RAMPART_HOME: s.rampartHome, GITHUB_ACTIONS: 'true', ...r.exported, GITHUB_API_URL: gh.url, GITHUB_REPOSITORY: 'octo-org/widgets'}})
    const answer = JSON.parse(out) as {hookSpecificOutput: {permissionDecision: string; permissionDecisionReason: string}}
    expect(answer.hookSpecificOutput.permissionDecision).toBe('deny')
    expect(answer.hookSpecificOutput.permissionDecisionReason).toMatch(/headless/i)
    expect(gh.commentsOn(12)).toHaveLength(0) // denied on the spot: no approval request
  })

  it('refuses an agent it cannot set up', async () => {
    const s = sandbox()
    const r = await runAction(INDEX, {HOME: s.home, INPUT_MODE: 'setup', INPUT_AGENT: 'cursor'}, s.root)
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('::error::agent: cursor is not supported by mode: setup — use claude-code')
  })
})

describe('PR-comment approvals through the bundles: the hook waits, a maintainer replies, mode: approve decides', () => {
  const ASK = 'version: "1"\ndefault_action: allow\npolicies:\n  - name: deploys\n    rules:\n      - action: ask\n        when: {command_matches: ["kubectl apply *"]}\n        message: Production deployment requires approval\n'

  /** The installed hook, run as Claude Code runs it, in a job attached to PR 7. */
  function hookCall(s: ReturnType<typeof sandbox>, command: string, minutes = '0.5'): {answer: Promise<{permissionDecision: string; permissionDecisionReason: string}>} {
    const policy = write(join(s.root, 'policy.yaml'), ASK)
    const child = spawn(process.execPath, [HOOK, '--config', policy], {env: {
      PATH: process.env.PATH ?? '', HOME: s.home, RAMPART_HOME: s.rampartHome, RAMPART_HEADLESS: '1', GITHUB_ACTIONS: 'true',
      RAMPART_GITHUB_TOKEN: 'ghs_actions', GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`, GITHUB_API_URL: gh.url, RAMPART_GITHUB_PR: '7',
      RAMPART_GITHUB_SHA: 'c0ffee0000000000000000000000000000000007', GITHUB_RUN_ID: '555', GITHUB_ACTOR: 'alice',
      RAMPART_GITHUB_POLL_MS: '20', RAMPART_GITHUB_BACKOFF_MS: '5', RAMPART_APPROVAL_TIMEOUT_MINUTES: minutes,
    }})
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stdin.end(JSON.stringify({session_id: 's', cwd: s.cwd, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: {command}}))
    return {answer: new Promise((resolve) => child.on('close', () => resolve((JSON.parse(out) as {hookSpecificOutput: {permissionDecision: string; permissionDecisionReason: string}}).hookSpecificOutput)))}
  }

  async function requestId(): Promise<string> {
    for (let i = 0; i < 400; i++) {
      const c = gh.commentsOn(7).find((x) => x.body.includes('rampart:approval'))
      const id = /rampart:approval id=(\S+)/.exec(c?.body ?? '')?.[1]
      if (id) return id
      await new Promise((r) => setTimeout(r, 25))
    }
    throw new Error('no request comment was posted')
  }

  const approveEnv = (s: ReturnType<typeof sandbox>, event: string) => ({
    HOME: s.home, RAMPART_HOME: s.rampartHome, GITHUB_EVENT_PATH: event, GITHUB_EVENT_NAME: 'issue_comment', GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`,
    GITHUB_API_URL: gh.url, INPUT_MODE: 'approve', INPUT_TOKEN: 'ghs_actions', RAMPART_GITHUB_BACKOFF_MS: '5',
  })

  it('a writer\'s /rampart approve lets the waiting call run; the request comment says so', async () => {
    const s = sandbox()
    gh.setHead(7, 'c0ffee0000000000000000000000000000000007')
    gh.setRole('bob', 'write')
    const call = hookCall(s, 'kubectl apply -f prod.yaml')
    const id = await requestId()
    const reply = gh.addComment(7, 'bob', `/rampart approve ${id}`)
    const r = await runAction(INDEX, approveEnv(s, gh.eventFile(s.root, reply)), s.root)
    expect(r.code, r.stdout).toBe(0)
    expect(r.outputs.result).toBe('approved')
    const answer = await call.answer
    expect(answer.permissionDecision).toBe('allow')
    expect(gh.commentsOn(7).find((c) => c.body.includes(`id=${id}`))?.body).toMatch(/approved/i)
  }, 60_000)

  it('a reader\'s approval is refused; with no valid answer the call is denied at the deadline and marked expired', async () => {
    const s = sandbox()
    gh.setHead(7, 'c0ffee0000000000000000000000000000000007')
    gh.setRole('rene', 'read')
    const call = hookCall(s, 'kubectl apply -f prod.yaml', '0.05')
    const id = await requestId()
    const reply = gh.addComment(7, 'rene', `/rampart approve ${id}`)
    const r = await runAction(INDEX, approveEnv(s, gh.eventFile(s.root, reply)), s.root)
    expect(r.outputs.result).toBe('refused')
    const answer = await call.answer
    expect(answer.permissionDecision).toBe('deny')
    expect(gh.commentsOn(7).find((c) => c.body.includes(`id=${id}`))?.body).toMatch(/expired/i)
  }, 60_000)

  it('API errors (500s, a dropped connection, a 401) and a rate limit while waiting are retried; the approval still counts', async () => {
    const s = sandbox()
    gh.setHead(7, 'c0ffee0000000000000000000000000000000007')
    gh.setRole('bob', 'write')
    const call = hookCall(s, 'kubectl apply -f prod.yaml')
    const id = await requestId()
    // the waiting hook's polls of its request comment: 500, 500, a reset connection, a 401, then the rate limit
    const polling = (r: {method: string; path: string}) => r.method === 'GET' && /\/issues\/comments\/\d+$/.test(r.path)
    gh.inject({status: 500, times: 2, when: polling})
    gh.inject({reset: true, when: polling})
    gh.inject({status: 401, when: polling})
    gh.rateLimit(1, polling)
    const reply = gh.addComment(7, 'bob', `/rampart approve ${id}`)
    const r = await runAction(INDEX, approveEnv(s, gh.eventFile(s.root, reply)), s.root)
    expect(r.outputs.result).toBe('approved')
    expect((await call.answer).permissionDecision).toBe('allow')
    expect(gh.requestsTo('GET', /\/issues\/comments\/\d+$/).filter((q) => q.status >= 400).length).toBeGreaterThanOrEqual(4)
  }, 60_000)

  it('an API that keeps failing until the deadline means deny, never allow', async () => {
    const s = sandbox()
    gh.setHead(7, 'c0ffee0000000000000000000000000000000007')
    const call = hookCall(s, 'kubectl apply -f prod.yaml', '0.05')
    await requestId()
    gh.inject({status: 503, times: 10_000, when: (r) => r.method === 'GET'})
    expect((await call.answer).permissionDecision).toBe('deny')
  }, 60_000)
})
