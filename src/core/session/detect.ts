import {createRequire} from 'node:module'
import {basename, dirname, resolve} from 'node:path'

import {findProjectRoot} from '../policy/load.js'

export interface SessionInfo {
  id: string
  /** How it was found: env, git, git+ci, none */
  source: 'env' | 'git' | 'git+ci' | 'none'
  repo?: string
  branch?: string
}

type Env = Record<string, string | undefined>

const CI_BRANCH_VARS = ['GITHUB_HEAD_REF', 'GITHUB_REF_NAME', 'CI_COMMIT_REF_NAME', 'BUILDKITE_BRANCH'] as const
const cache = new Map<string, SessionInfo>()

/**
 * The session id (cli.md "Sessions"): RAMPART_SESSION, else `repo/branch` from git. One git process at most,
 * cached per folder. Spawns git directly rather than through simple-git: this runs on every dry run and hook call,
 * where start-up time matters more than a nicer API.
 */
export function detectSession(cwd: string, env: Env = process.env): SessionInfo {
  if (env.RAMPART_SESSION) return {id: env.RAMPART_SESSION, source: 'env'}
  const key = resolve(cwd)
  const cached = cache.get(key)
  if (cached) return cached
  const info = detectFromGit(key, env)
  cache.set(key, info)
  return info
}

function detectFromGit(cwd: string, env: Env): SessionInfo {
  if (!findProjectRoot(cwd)) return {id: '', source: 'none'}
  let out: string
  try {
    // loaded here: most dry runs outside a repository, or with RAMPART_SESSION, never spawn git
    const {execFileSync} = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process')
    out = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir', '--abbrev-ref', 'HEAD'], {
      cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 3000,
      env: {...process.env, GIT_OPTIONAL_LOCKS: '0'},
    })
  } catch {
    return {id: '', source: 'none'}
  }
  const [commonDir = '', ref = ''] = out.trim().split('\n')
  // the common dir is the main repository's .git even inside a worktree
  let repo = basename(commonDir) === '.git' ? basename(dirname(commonDir)) : basename(commonDir).replace(/\.git$/, '')
  if (env.GITHUB_ACTIONS && env.GITHUB_REPOSITORY) repo = env.GITHUB_REPOSITORY.split('/').pop() ?? repo
  let branch = ref
  let source: SessionInfo['source'] = 'git'
  if (!branch || branch === 'HEAD') {
    const fromCi = CI_BRANCH_VARS.map((v) => env[v]).find((v) => v)
    branch = fromCi ?? 'detached'
    if (fromCi) source = 'git+ci'
  }
  return {id: `${repo}/${branch}`, source, repo, branch}
}

const CI_VARS = ['GITHUB_ACTIONS', 'GITLAB_CI', 'BUILDKITE', 'JENKINS_URL', 'CIRCLECI', 'TF_BUILD'] as const

/** Headless (cli.md): RAMPART_HEADLESS decides when set; else CI=truthy or a known CI variable. */
export function detectHeadless(env: Env = process.env): boolean {
  const explicit = env.RAMPART_HEADLESS
  if (explicit !== undefined && explicit !== '') return truthy(explicit)
  if (env.CI !== undefined && truthy(env.CI)) return true
  return CI_VARS.some((v) => env[v] !== undefined && env[v] !== '')
}

function truthy(value: string): boolean {
  return !['0', 'false', 'no', 'off', ''].includes(value.trim().toLowerCase())
}
