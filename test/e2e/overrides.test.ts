import {execFileSync, spawn} from 'node:child_process'
import {mkdirSync, readFileSync} from 'node:fs'
import {createServer} from 'node:http'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {detectTool} from '../../src/core/overrides/store.js'
import {parsePolicyText} from '../../src/core/policy/parse.js'
import {sandbox, write} from '../helpers.js'
import {BIN, rampart} from './run.js'

const overrides = (s: ReturnType<typeof sandbox>) => join(s.rampartHome, 'policies', 'user-overrides.yaml')

describe('pattern auto-detection (the seed\'s table)', () => {
  it.each([
    ['npm install *', 'exec'], ['curl https://api.example.com/*', 'exec'], ['/tmp/**', 'path'], ['~/projects/**', 'path'],
    ['**/node_modules/**', 'path'], ['$(pwd)/dist/**', 'path'], ['go test ./...', 'exec'], ['make', 'exec'],
  ])('%s → %s', (pattern, kind) => {
    expect(detectTool(pattern)).toBe(kind)
  })
})

describe('rampart allow / block / rules', () => {
  it('writes the seed\'s policies to the global file outside a repository; rules lists, removes and resets them', () => {
    const s = sandbox()
    const a = rampart(['allow', 'npm install *', '--yes'], s)
    expect(a.code).toBe(0)
    expect(a.stdout).toContain('Adding rule to global policy')
    expect(a.stdout).toContain('✓ Rule added to user-overrides.yaml')
    expect(a.stdout).toMatch(/\(\d+ rules active\)/)
    expect(rampart(['block', 'npm publish *', '-y', '--message', 'Publishing requires human review'], s).code).toBe(0)
    expect(rampart(['allow', '/tmp/**', '--tool', 'read', '-y'], s).code).toBe(0)
    const doc = parsePolicyText(readFileSync(overrides(s), 'utf8'), overrides(s)).doc
    expect(doc.policies?.map((p) => p.name)).toEqual(['custom-allow-commands', 'custom-block-commands', 'custom-allow-read'])
    expect(doc.policies?.[1]?.rules?.[0]).toMatchObject({action: 'deny', when: {command_matches: ['npm publish *']}, message: 'Publishing requires human review'})
    expect(doc.policies?.[0]?.rules?.[0]?.added).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    // the rules take effect: the override allow beats the profile's ask, the block denies
    expect(rampart(['test', 'npm install lodash'], s).code).toBe(0)
    expect(rampart(['test', 'npm publish --tag next'], s).code).toBe(3)
    const list = rampart(['rules'], s)
    expect(list.stdout).toMatch(/ {4}1 {2}allow {4}exec {6}npm install \* +just now/)
    expect(list.stdout).toMatch(/Total: \d+ rules \(\d+ standard \+ 3 overrides\)/)
    expect(JSON.parse(rampart(['rules', '--json'], s).stdout)[1]).toMatchObject({index: 2, source: 'global', action: 'deny', tool: 'exec', pattern: 'npm publish *'})
    expect(rampart(['rules', 'remove', '2', '--force'], s).code).toBe(0)
    expect(JSON.parse(rampart(['rules', '--json'], s).stdout).map((r: {pattern: string}) => r.pattern)).toEqual(['npm install *', '/tmp/**'])
    expect(rampart(['rules', 'remove', '9', '--force'], s).code).toBe(2)
    expect(rampart(['rules', 'reset', '--force'], s).stdout).toContain('Removed 2 override rules')
    expect(JSON.parse(rampart(['rules', '--json'], s).stdout)).toEqual([])
  })

  it('refuses to ask on a non-terminal: --yes is required', () => {
    const s = sandbox()
    const r = rampart(['allow', 'make'], s)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('pass --yes')
    expect(rampart(['rules', 'reset'], s).code).toBe(2)
  })

  it('keeps comments and hand edits, and never overwrites a malformed file', () => {
    const s = sandbox()
    write(overrides(s), '# my notes\nversion: "1"\npolicies:\n  - name: mine\n    rules:\n      - action: deny   # keep this\n        when: {command_matches: ["x"]}\n')
    expect(rampart(['allow', 'make *', '-y'], s).code).toBe(0)
    const text = readFileSync(overrides(s), 'utf8')
    expect(text).toContain('# my notes')
    expect(text).toContain('# keep this')
    expect(text).toContain('custom-allow-commands')
    write(overrides(s), 'version: "1"\npolicies:\n  - name: broken\n    rulez: []\n')
    const before = readFileSync(overrides(s), 'utf8')
    const r = rampart(['allow', 'make *', '-y'], s)
    expect(r.code).toBe(5)
    expect(r.stderr).toMatch(/user-overrides\.yaml:4:5: unknown key 'rulez'/)
    expect(readFileSync(overrides(s), 'utf8')).toBe(before)
  })

  it('inside a repository writes the project policy, and warns when a project allow cannot unblock anything', () => {
    const s = sandbox()
    const dir = join(s.cwd, 'repo')
    mkdirSync(join(dir, '.git'), {recursive: true})
    const r = rampart(['allow', 'npm publish *', '-y'], {...s, cwd: dir})
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Adding rule to project policy (.rampart/policy.yaml)')
    expect(r.stdout).toContain('this rule will have no effect')
    expect(r.stdout).toContain('rampart allow --global "npm publish *"')
    expect(readFileSync(join(dir, '.rampart', 'policy.yaml'), 'utf8')).toContain('npm publish *')
    expect(rampart(['block', 'make deploy', '-y'], {...s, cwd: dir}).code).toBe(0)
    expect(rampart(['test', 'make deploy'], {...s, cwd: dir}).code).toBe(3)
    expect(rampart(['allow', 'git status', '--global', '-y'], {...s, cwd: dir}).stdout).toContain('global policy')
  })

  it('reloads a running server (POST /v1/policy/reload with the token)', async () => {
    const s = sandbox()
    const seen: Array<{url?: string; auth?: string}> = []
    const server = createServer((req, res) => {
      seen.push({...(req.url ? {url: req.url} : {}), ...(req.headers.authorization ? {auth: req.headers.authorization} : {})})
      res.writeHead(200, {'content-type': 'application/json'}).end('{"ok":true}')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as {port: number}).port
    const out = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'allow', 'make *', '-y', '--api', `http://127.0.0.1:${port}`, '--token', 'sekret'], {cwd: s.cwd, env: {PATH: process.env.PATH ?? '', NO_COLOR: '1', ...s.env}})
      let text = ''
      child.stdout.on('data', (d: Buffer) => (text += d.toString()))
      child.on('close', () => resolve(text))
    })
    server.close()
    expect(out).toContain('Policy reloaded (')
    expect(seen).toEqual([{url: '/v1/policy/reload', auth: 'Bearer sekret'}])
  })

  it('20 concurrent rampart allow processes leave 20 rules and a valid file', async () => {
    const s = sandbox()
    const runs = Array.from({length: 20}, (_, i) => new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'allow', `tool-${i} *`, '--global', '-y'], {cwd: s.cwd, env: {PATH: process.env.PATH ?? '', ...s.env}, stdio: 'ignore'})
      child.on('close', (code) => resolve(code ?? -1))
    }))
    expect(await Promise.all(runs)).toEqual(Array(20).fill(0))
    const doc = parsePolicyText(readFileSync(overrides(s), 'utf8'), overrides(s)).doc
    const patterns = doc.policies?.flatMap((p) => p.rules?.flatMap((r) => r.when?.command_matches ?? []) ?? []) ?? []
    expect(patterns.sort()).toEqual(Array.from({length: 20}, (_, i) => `tool-${i} *`).sort())
    expect(execFileSync(process.execPath, [BIN, 'policy', 'lint', overrides(s)], {env: {...process.env, ...s.env}, encoding: 'utf8'})).toContain('0 errors')
  }, 60_000)
})

describe('self-protection: agents cannot customise their own policy', () => {
  it.each([
    'rampart allow "rm -rf *"', "bash -c 'rampart allow x'", "sh -c \"rampart block y\"", '/usr/local/bin/rampart rules reset --force',
    'env FOO=1 rampart allow z', 'npx rampart policy generate', 'rampart init --force',
  ])('%s is denied by the standard profile', (command) => {
    const s = sandbox()
    expect(rampart(['test', command], s).code).toBe(3)
  })
})
