import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative, sep} from 'node:path'

import {simpleGit, type SimpleGit} from 'simple-git'

import {UsageError} from '../errors.js'

export interface Repo {
  /** the git top level */
  root: string
  git: SimpleGit
}

/** The files a side needs: policy and suite YAML under .rampart, and recorded calls. */
export function isDiffInput(path: string): boolean {
  return path.startsWith('.rampart/') && (/\.ya?ml$/i.test(path) || /^\.rampart\/recorded\/[^/]+\.jsonl$/.test(path))
}

export async function openRepo(cwd: string): Promise<Repo> {
  let root: string
  try {
    root = (await simpleGit({baseDir: cwd, timeout: {block: 30_000}}).revparse(['--show-toplevel'])).trim()
  } catch {
    throw new UsageError(`${cwd} is not inside a git repository — run rampart policy diff from a clone of the repository`)
  }
  if (!root) throw new UsageError(`${cwd} is not inside a git repository (bare repositories have no policy to compare) — run it from a clone`)
  // quotePath off: paths with non-ASCII characters come back as they are
  return {root, git: simpleGit({baseDir: root, timeout: {block: 30_000}, config: ['core.quotePath=false']})}
}

/** A full commit id for a revision, or a one-line usage error naming it. */
export async function resolveCommit(repo: Repo, revision: string, role: 'BASE' | 'HEAD'): Promise<string> {
  if (revision === '' || revision.startsWith('-')) {
    throw new UsageError(`${role} '${revision}' is not a revision — pass a branch, tag or commit such as main or HEAD~1`)
  }
  let out = ''
  try {
    out = (await repo.git.raw(['rev-parse', '--verify', '--quiet', `${revision}^{commit}`])).trim()
  } catch {
    out = ''
  }
  if (!/^[0-9a-f]{40,64}$/.test(out)) {
    const shallow = await isShallow(repo)
    throw new UsageError(`${role} revision '${revision}' does not exist in this repository — check the name (git log --oneline), or fetch it${shallow ? ' (this clone is shallow: git fetch --deepen=50, or fetch-depth: 0 in actions/checkout)' : ' (git fetch origin)'}`)
  }
  return out
}

async function isShallow(repo: Repo): Promise<boolean> {
  try {
    return (await repo.git.raw(['rev-parse', '--is-shallow-repository'])).trim() === 'true'
  } catch {
    return false
  }
}

/**
 * The default BASE: the merge-base of HEAD (or the given head commit) with the default branch — origin/HEAD,
 * else main, master, origin/main, origin/master, whichever exists first.
 */
export async function defaultBase(repo: Repo, headCommit: string | undefined): Promise<{revision: string; commit: string}> {
  const candidates: string[] = []
  try {
    const ref = (await repo.git.raw(['symbolic-ref', '--quiet', 'refs/remotes/origin/HEAD'])).trim()
    if (ref) candidates.push(ref.replace(/^refs\/remotes\//, ''))
  } catch {
    // no origin/HEAD: try the usual names
  }
  candidates.push('main', 'master', 'origin/main', 'origin/master')
  let branch: string | undefined
  for (const c of candidates) {
    try {
      if ((await repo.git.raw(['rev-parse', '--verify', '--quiet', `${c}^{commit}`])).trim()) {
        branch = c
        break
      }
    } catch {
      // not this one
    }
  }
  if (!branch) throw new UsageError('cannot find the default branch (no origin/HEAD, main or master) — pass BASE, for example rampart policy diff origin/develop')
  const head = headCommit ?? 'HEAD'
  let commit = ''
  try {
    commit = (await repo.git.raw(['merge-base', head, branch])).trim()
  } catch {
    commit = ''
  }
  if (!commit) {
    const shallow = await isShallow(repo)
    throw new UsageError(`no merge-base between ${headCommit ? headCommit.slice(0, 12) : 'HEAD'} and ${branch}${shallow ? ' in this shallow clone — fetch more history (git fetch --deepen=50)' : ''} — or pass BASE explicitly`)
  }
  return {revision: `merge-base(${headCommit ? headCommit.slice(0, 12) : 'HEAD'}, ${branch})`, commit}
}

/** The inputs at a commit, read with git (nothing is checked out). Symbolic links and submodules are skipped. */
export async function readRevisionFiles(repo: Repo, commit: string): Promise<Map<string, string>> {
  const listing = await repo.git.raw(['ls-tree', '-r', '-z', '--full-tree', commit, '--', '.rampart'])
  const paths: string[] = []
  for (const entry of listing.split('\0')) {
    const tab = entry.indexOf('\t')
    if (tab < 0) continue
    const [mode, type] = entry.slice(0, tab).split(' ')
    const path = entry.slice(tab + 1)
    if (type === 'blob' && mode !== '120000' && isDiffInput(path)) paths.push(path)
  }
  const files = new Map<string, string>()
  const texts = await Promise.all(paths.map((p) => showFile(repo, commit, p)))
  paths.forEach((p, i) => {
    const text = texts[i]
    if (text !== undefined) files.set(p, text)
  })
  return files
}

export async function showFile(repo: Repo, commit: string, path: string): Promise<string | undefined> {
  try {
    return await repo.git.show([`${commit}:${path}`])
  } catch {
    return undefined
  }
}

/** The inputs in the working tree, tracked or not: what the loader would read right now. */
export function readWorktreeFiles(root: string): Map<string, string> {
  const files = new Map<string, string>()
  const walk = (dir: string): void => {
    let entries
    try {
      entries = readdirSync(dir, {withFileTypes: true})
    } catch {
      return
    }
    for (const e of entries) {
      const full = join(dir, e.name)
      if (e.isDirectory()) {
        walk(full)
        continue
      }
      const rel = relative(root, full).split(sep).join('/')
      if (!isDiffInput(rel)) continue
      try {
        if (statSync(full).isFile()) files.set(rel, readFileSync(full, 'utf8'))
      } catch {
        // vanished or unreadable: the loader would not see it either
      }
    }
  }
  walk(join(root, '.rampart'))
  return files
}

export interface FilePair {
  status: 'added' | 'removed' | 'modified' | 'renamed'
  oldPath: string | null
  newPath: string | null
  similarity?: number
}

/**
 * Which files changed between two materialised trees, with git's rename detection: `git diff --no-index` over the
 * two folders treats a commit and the working tree (untracked files included) the same way, and touches no index.
 */
export async function pairFiles(parent: string, baseDir: string, headDir: string): Promise<FilePair[]> {
  const git = simpleGit({baseDir: parent, timeout: {block: 30_000}, config: ['core.quotePath=false']})
  // exit status 1 means "differences": simple-git only fails when git also wrote to stderr
  const out = await git.raw(['diff', '--no-index', '--no-ext-diff', '--no-color', '--find-renames', '--name-status', '-z', '--', baseDir, headDir])
  const tokens = out.split('\0').filter((t) => t !== '')
  const strip = (p: string | undefined, dir: string): string => {
    const path = (p ?? '').replace(/\\/g, '/')
    return path.startsWith(`${dir}/`) ? path.slice(dir.length + 1) : path
  }
  const pairs: FilePair[] = []
  for (let i = 0; i < tokens.length;) {
    const code = tokens[i++] ?? ''
    if (code.startsWith('R') || code.startsWith('C')) {
      const from = strip(tokens[i++], baseDir)
      const to = strip(tokens[i++], headDir)
      pairs.push({status: 'renamed', oldPath: from, newPath: to, similarity: Number(code.slice(1)) || 0})
    } else if (code === 'A') {
      pairs.push({status: 'added', oldPath: null, newPath: strip(tokens[i++], headDir)})
    } else if (code === 'D') {
      pairs.push({status: 'removed', oldPath: strip(tokens[i++], baseDir), newPath: null})
    } else {
      // M, T: the same path on both sides (git names it under one of the two folders)
      const p = tokens[i++] ?? ''
      const path = p.startsWith(`${baseDir}/`) ? strip(p, baseDir) : strip(p, headDir)
      pairs.push({status: 'modified', oldPath: path, newPath: path})
    }
  }
  return pairs
}
