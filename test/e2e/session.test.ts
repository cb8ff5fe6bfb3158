import {execFileSync} from 'node:child_process'
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {sandbox, write} from '../helpers.js'
import {rampart} from './run.js'

describe('sessions from git, end to end', () => {
  it('rampart session shows the id and where it came from; rampart test matches rules on it', () => {
    const s = sandbox()
    const dir = join(s.cwd, 'shop')
    mkdirSync(dir)
    const env = {...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: s.home}
    execFileSync('git', ['init', '-q', '-b', 'main'], {cwd: dir, env})
    const r = rampart(['session', '--json'], {...s, cwd: dir})
    expect(JSON.parse(r.stdout)).toMatchObject({id: 'shop/main', repo: 'shop', branch: 'main', branchFrom: 'HEAD (refs/heads/main)', headless: false})
    expect(rampart(['session'], {...s, cwd: dir}).stdout).toContain('Session   shop/main')
    write(join(dir, '.rampart', 'policy.yaml'), `policies:
  - name: main-deploys
    rules:
      - action: ask
        when: {session_matches: ["*/main"], command_matches: ["kubectl apply *"]}
`)
    expect(rampart(['test', 'kubectl apply -f k8s/'], {...s, cwd: dir}).code).toBe(4)
    execFileSync('git', ['checkout', '-q', '-b', 'dev'], {cwd: dir, env})
    expect(rampart(['test', 'kubectl apply -f k8s/'], {...s, cwd: dir}).code).toBe(0)
    expect(rampart(['test', 'kubectl apply -f k8s/', '--session', 'shop/main'], {...s, cwd: dir}).code).toBe(4)
    expect(rampart(['test', 'kubectl apply -f k8s/'], {...s, cwd: dir, env: {...s.env, RAMPART_SESSION: 'shop/main'}}).code).toBe(4)
  })
})
