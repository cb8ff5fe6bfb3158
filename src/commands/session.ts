import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {detectSessionWithSimpleGit, headlessReason, type SessionInfo} from '../core/session/detect.js'

export default class Session extends BaseCommand {
  static override summary = 'Show the session id rules see (session_matches, match.session) and where it came from.'
  static override description = 'RAMPART_SESSION if set; else repo/branch from git: the main repository\'s folder name (also inside a worktree; GITHUB_REPOSITORY\'s name in GitHub Actions) and the current branch (on a detached HEAD: GITHUB_HEAD_REF, GITHUB_REF_NAME, CI_COMMIT_REF_NAME or BUILDKITE_BRANCH, else "detached"). Outside a repository the session is empty and only * matches it.'
  static override examples = ['<%= config.bin %> session', '<%= config.bin %> session --json', 'RAMPART_SESSION=review <%= config.bin %> session']
  static override flags = {cwd: Flags.string({description: 'Folder to detect the session for.'})}

  async run(): Promise<SessionInfo & {headless: boolean; headless_from: string | null}> {
    const {flags} = await this.parse(Session)
    const info = await detectSessionWithSimpleGit(flags.cwd ?? process.cwd())
    const why = headlessReason()
    if (!this.jsonEnabled()) {
      this.log(`Session   ${info.id || '(empty: not a git repository)'}`)
      if (info.repo !== undefined) this.log(`Repo      ${info.repo}   from ${info.repoFrom ?? ''}`)
      if (info.branch !== undefined) this.log(`Branch    ${info.branch}   from ${info.branchFrom ?? ''}`)
      this.log(`Headless  ${why ? `yes (${why})` : 'no'}`)
    }
    return {...info, headless: why !== undefined, headless_from: why ?? null}
  }
}
