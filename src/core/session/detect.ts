import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {basename, dirname, join, resolve} from 'node:path'

import {findProjectRoot} from '../policy/load.js'

export interface SessionInfo {
  id: string
  /** How it was found: env (RAMPART_SESSION), git, git+ci (branch from a CI variable), none (not a repository) */
  source: 'env' | 'git' | 'git+ci' | 'none'
  repo?: string
  branch?: string
  /** Where each part came from, for `rampart session`. */
  repoFrom?: string
  branchFrom?: string
}

type Env = Record<string, string | undefined>

/** The one git invocation: works in ordinary, unborn, bare and worktree repositories. */
export const SESSION_GIT_ARGS = ['rev-parse', '--path-format=absolute', '--git-common-dir', '--git-dir'] as const
const CI_BRANCH_VARS = ['GITHUB_HEAD_REF', 'GITHUB_REF_NAME', 'CI_COMMIT_REF_NAME', 'BUILDKITE_BRANCH'] as const
const gitOutput = new Map<string, string>()

/**
 * The session id (cli.md "Sessions"): RAMPART_SESSION, else `repo/branch` from git. At most one git process,
 * cached per folder. This synchronous form runs git through child_process, because it sits on the start-up path of
 * every dry run and hook call where simple-git's import alone would cost ~35 ms; `rampart session` and long-running
 * processes use detectSessionWithSimpleGit, which parses the same git output with the same code.
 */
export function detectSession(cwd: string, env: Env = process.env): SessionInfo {
  if (env.RAMPART_SESSION) return fromEnv(env.RAMPART_SESSION)
  const key = resolve(cwd)
  // the git answer is cached per folder; the session is derived from it with the current environment
  let out = gitOutput.get(key)
  if (out === undefined) {
    out = ''
    if (findProjectRoot(key) || looksLikeBareRepo(key)) {
      try {
        const {execFileSync} = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process')
        out = execFileSync('git', [...SESSION_GIT_ARGS], {
          cwd: key, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 3000, env: {...process.env, GIT_OPTIONAL_LOCKS: '0'},
        })
      } catch {
        out = ''
      }
    }
    gitOutput.set(key, out)
  }
  return sessionFromGit(out, env)
}

/** The same detection through simple-git (for `rampart session` and the server). */
export async function detectSessionWithSimpleGit(cwd: string, env: Env = process.env): Promise<SessionInfo> {
  if (env.RAMPART_SESSION) return fromEnv(env.RAMPART_SESSION)
  const dir = resolve(cwd)
  if (!findProjectRoot(dir) && !looksLikeBareRepo(dir)) return {id: '', source: 'none'}
  const {simpleGit} = await import('simple-git')
  let out: string | undefined
  try {
    // the inherited environment: simple-git refuses an explicit one that carries EDITOR and the like
    out = await simpleGit({baseDir: dir, timeout: {block: 3000}}).raw([...SESSION_GIT_ARGS])
  } catch {
    out = undefined
  }
  return sessionFromGit(out, env)
}

function fromEnv(id: string): SessionInfo {
  const slash = id.indexOf('/')
  return {id, source: 'env', repoFrom: 'RAMPART_SESSION', branchFrom: 'RAMPART_SESSION', ...(slash > 0 ? {repo: id.slice(0, slash), branch: id.slice(slash + 1)} : {})}
}

function looksLikeBareRepo(dir: string): boolean {
  try {
    return readFileSync(join(dir, 'HEAD'), 'utf8').startsWith('ref: ') && readFileSync(join(dir, 'config'), 'utf8').includes('bare = true')
  } catch {
    return false
  }
}

/** Turn `git rev-parse --git-common-dir --git-dir` output (and HEAD) into a session. */
export function sessionFromGit(out: string | undefined, env: Env): SessionInfo {
  const [commonDir = '', gitDir = commonDir] = (out ?? '').trim().split('\n')
  if (!commonDir) return {id: '', source: 'none'}
  // the common dir is the main repository's .git even inside a worktree; a bare repository is the folder itself
  let repo = basename(commonDir) === '.git' ? basename(dirname(commonDir)) : basename(commonDir).replace(/\.git$/, '')
  let repoFrom = `git (${commonDir})`
  if (env.GITHUB_ACTIONS && env.GITHUB_REPOSITORY) {
    repo = env.GITHUB_REPOSITORY.split('/').pop() ?? repo
    repoFrom = 'GITHUB_REPOSITORY'
  }
  let head = ''
  try {
    head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim()
  } catch {
    // unreadable HEAD: treated as detached
  }
  let branch: string
  let branchFrom: string
  let source: SessionInfo['source'] = 'git'
  const ref = /^ref: refs\/heads\/(.+)$/.exec(head)
  if (ref?.[1]) {
    branch = ref[1]
    branchFrom = `HEAD (${head.slice(5)})`
  } else {
    const ciVar = CI_BRANCH_VARS.find((v) => env[v])
    branch = ciVar ? (env[ciVar] as string) : 'detached'
    branchFrom = ciVar ? `${ciVar} (HEAD is detached)` : 'HEAD is detached and no CI branch variable is set'
    if (ciVar) source = 'git+ci'
  }
  return {id: `${repo}/${branch}`, source, repo, branch, repoFrom, branchFrom}
}

const CI_VARS = ['GITHUB_ACTIONS', 'GITLAB_CI', 'BUILDKITE', 'JENKINS_URL', 'CIRCLECI', 'TF_BUILD'] as const

/** Headless (cli.md): RAMPART_HEADLESS decides when set; else CI=truthy or a known CI variable. */
export function detectHeadless(env: Env = process.env): boolean {
  return headlessReason(env) !== undefined
}

/** Why the process counts as headless, or undefined when it is interactive. */
export function headlessReason(env: Env = process.env): string | undefined {
  const explicit = env.RAMPART_HEADLESS
  if (explicit !== undefined && explicit !== '') return truthy(explicit) ? 'RAMPART_HEADLESS' : undefined
  if (env.CI !== undefined && truthy(env.CI)) return 'CI'
  return CI_VARS.find((v) => env[v] !== undefined && env[v] !== '')
}

function truthy(value: string): boolean {
  return !['0', 'false', 'no', 'off', ''].includes(value.trim().toLowerCase())
}
