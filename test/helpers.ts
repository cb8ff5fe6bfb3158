import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterEach} from 'vitest'

import {loadPolicy, type LoadOptions, type PolicySet} from '../src/core/policy/load.js'

const made: string[] = []
afterEach(() => {
  while (made.length) rmSync(made.pop() as string, {recursive: true, force: true})
})

/** A fresh temporary folder, removed after the test. */
export function tempDir(prefix = 'rampart-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

export function write(file: string, text: string): string {
  mkdirSync(dirname(file), {recursive: true})
  writeFileSync(file, text)
  return file
}

/** A sandbox: RAMPART_HOME and HOME in temp folders, a working folder with no git repository above it. */
export function sandbox(): {root: string; home: string; rampartHome: string; cwd: string; env: Record<string, string>} {
  const root = tempDir()
  const home = join(root, 'home')
  const rampartHome = join(root, 'rampart-home')
  const cwd = join(root, 'work')
  mkdirSync(home, {recursive: true})
  mkdirSync(rampartHome, {recursive: true})
  mkdirSync(cwd, {recursive: true})
  return {root, home, rampartHome, cwd, env: {HOME: home, RAMPART_HOME: rampartHome}}
}

/** Load a policy written inline as the only built-in layer (--config), in a sandbox. */
export function policyFrom(yaml: string, extra: Partial<LoadOptions> = {}): PolicySet {
  const s = sandbox()
  const file = write(join(s.root, 'policy.yaml'), yaml)
  return loadPolicy({cwd: s.cwd, env: s.env, config: file, ...extra})
}

/** A policy that asks before production deploys and allows the rest: the approval flow's usual subject. */
export const DEPLOY_ASK_POLICY = `version: "1"
default_action: allow
policies:
  - name: deploys
    match: {tool: [exec]}
    rules:
      - action: ask
        when: {command_matches: ["kubectl apply *"]}
        message: Production deployment requires approval
`
