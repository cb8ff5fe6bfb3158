import {execFileSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {detectSession, detectSessionWithSimpleGit, detectHeadless, headlessReason} from '../../../src/core/session/detect.js'
import {tempDir} from '../../helpers.js'

const gitEnv = {GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t', GIT_CONFIG_NOSYSTEM: '1', HOME: '/nonexistent'}
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {cwd, encoding: 'utf8', env: {...process.env, ...gitEnv}, stdio: ['ignore', 'pipe', 'pipe']}).trim()
const noCi = {PATH: process.env.PATH}

function repoWithCommit(name = 'myapp'): string {
  const dir = join(tempDir(), name)
  mkdirSync(dir)
  git(dir, 'init', '-q', '-b', 'main')
  writeFileSync(join(dir, 'a.txt'), 'x')
  git(dir, 'add', '.')
  git(dir, 'commit', '-q', '-m', 'first')
  return dir
}

async function both(cwd: string, env: Record<string, string | undefined>) {
  const sync = detectSession(cwd, env)
  const viaSimpleGit = await detectSessionWithSimpleGit(cwd, env)
  expect(viaSimpleGit).toEqual(sync)
  return sync
}

describe('session detection against real git repositories', () => {
  it('repo/branch, from a subfolder too', async () => {
    const dir = repoWithCommit()
    git(dir, 'checkout', '-q', '-b', 'feature/login')
    mkdirSync(join(dir, 'src', 'deep'), {recursive: true})
    expect((await both(join(dir, 'src', 'deep'), noCi)).id).toBe('myapp/feature/login')
  })

  it('a worktree reports the main repository name and its own branch', async () => {
    const dir = repoWithCommit('mainrepo')
    const wt = join(dir, '..', 'wt-folder')
    git(dir, 'worktree', 'add', '-q', '-b', 'hotfix', wt)
    expect(await both(wt, noCi)).toMatchObject({id: 'mainrepo/hotfix', repo: 'mainrepo', branch: 'hotfix'})
  })

  it('detached HEAD: the CI branch variable, else "detached"', async () => {
    const dir = repoWithCommit()
    git(dir, 'checkout', '-q', '--detach')
    expect((await both(dir, noCi)).id).toBe('myapp/detached')
    expect(await both(dir, {...noCi, GITHUB_HEAD_REF: 'pr-branch'})).toMatchObject({id: 'myapp/pr-branch', source: 'git+ci'})
    expect((await both(dir, {...noCi, CI_COMMIT_REF_NAME: 'gl-branch'})).id).toBe('myapp/gl-branch')
  })

  it('an unborn branch (no commit yet) and a bare repository', async () => {
    const dir = join(tempDir(), 'fresh')
    mkdirSync(dir)
    git(dir, 'init', '-q', '-b', 'trunk')
    expect((await both(dir, noCi)).id).toBe('fresh/trunk')
    const bare = join(tempDir(), 'server.git')
    git(tempDir(), 'init', '-q', '--bare', '-b', 'main', bare)
    expect((await both(bare, noCi)).id).toBe('server/main')
  })

  it('GitHub Actions: the repository name comes from GITHUB_REPOSITORY', async () => {
    const dir = repoWithCommit('checkout-folder')
    expect((await both(dir, {...noCi, GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'acme/shop'})).id).toBe('shop/main')
  })

  it('RAMPART_SESSION overrides; outside a repository the session is empty', async () => {
    const dir = repoWithCommit()
    expect(await both(dir, {...noCi, RAMPART_SESSION: 'review/x'})).toMatchObject({id: 'review/x', source: 'env'})
    expect(await both(tempDir(), noCi)).toMatchObject({id: '', source: 'none'})
  })
})

describe('headless detection', () => {
  it.each([
    [{RAMPART_HEADLESS: '1'}, 'RAMPART_HEADLESS'],
    [{RAMPART_HEADLESS: '0', CI: 'true'}, undefined],
    [{CI: 'true'}, 'CI'],
    [{CI: 'false'}, undefined],
    [{GITHUB_ACTIONS: 'true'}, 'GITHUB_ACTIONS'],
    [{JENKINS_URL: 'http://ci'}, 'JENKINS_URL'],
    [{}, undefined],
  ])('%j → %s', (env, want) => {
    expect(headlessReason(env)).toBe(want)
    expect(detectHeadless(env)).toBe(want !== undefined)
  })
})
