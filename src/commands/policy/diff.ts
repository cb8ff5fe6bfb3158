import {Args, Flags} from '@oclif/core'

import {BaseCommand, EXIT_CODES_HELP} from '../../cli/base.js'
import {err, stdoutIsTerminal} from '../../cli/write.js'
import {formatMarkdown, formatText, policyDiff, WORKTREE, type PolicyDiff} from '../../core/diff/index.js'
import {ExitCode, UsageError} from '../../core/errors.js'

export default class PolicyDiffCommand extends BaseCommand {
  static override summary = 'Behavioural diff of the project policy between two git revisions: every decision that changes, loosenings first.'
  static override description = `Loads the layered policy at BASE and at HEAD — the same built-in profile (or --config) and global files on both sides, so only the project's .rampart/ change shows — and replays the test suites of both sides, the built-in corpus (plus --corpus files) and the recorded calls in .rampart/recorded/*.jsonl (rampart audit export --calls). Shows the text diff of the policy files, every call whose decision changes (loosenings — toward allow — first, with the deciding rule on each side), and the rules added, removed, changed or no longer exercised.

BASE defaults to the merge-base of HEAD with the default branch (origin/HEAD, else main or master); HEAD defaults to the working tree (--worktree). --markdown prints the PR comment the GitHub Action posts.

Exit 0 when nothing loosens (or without --fail-on-loosen), 1 when something loosens and --fail-on-loosen is given, 2 for an unknown revision, 5 when a side's policy does not load (the rest is still shown).
${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> policy diff',
    '<%= config.bin %> policy diff main',
    '<%= config.bin %> policy diff origin/main HEAD --fail-on-loosen',
    '<%= config.bin %> policy diff "$BASE_SHA" "$HEAD_SHA" --markdown > comment.md',
    '<%= config.bin %> policy diff HEAD~1 HEAD --json --corpus attacks.yaml',
  ]

  static override args = {
    base: Args.string({description: 'Base revision (default: merge-base of HEAD with the default branch).'}),
    head: Args.string({description: 'Head revision (default: the working tree).'}),
  }

  static override flags = {
    worktree: Flags.boolean({description: 'Compare against the working tree, untracked files included (the default when HEAD is not given).', default: false}),
    markdown: Flags.boolean({description: 'Print the GitHub PR comment (Markdown, under 65,536 characters).', default: false, exclusive: ['json']}),
    'fail-on-loosen': Flags.boolean({description: 'Exit 1 when any decision moves toward allow.', default: false}),
    corpus: Flags.string({description: 'Corpus file replayed on top of the built-in corpus (repeatable).', multiple: true}),
    config: Flags.string({description: 'Use this policy file instead of the built-in profile layer (both sides).', helpGroup: 'POLICY'}),
    profile: Flags.string({description: 'Built-in profile to start from, both sides (standard by default).', helpGroup: 'POLICY'}),
  }

  async run(): Promise<PolicyDiff> {
    const {args, flags} = await this.parse(PolicyDiffCommand)
    if (flags.worktree && args.head !== undefined) throw new UsageError(`give either a HEAD revision (${args.head}) or --worktree, not both`)
    const diff = await policyDiff({
      cwd: process.cwd(),
      base: args.base,
      head: flags.worktree ? WORKTREE : args.head,
      config: flags.config,
      profile: flags.profile,
      corpus: flags.corpus,
    })
    if (!this.jsonEnabled()) {
      this.log(flags.markdown ? formatMarkdown(diff).replace(/\n$/, '') : formatText(diff, !process.env.NO_COLOR && stdoutIsTerminal()))
    }
    const errors = [diff.base.error, diff.head.error].filter((e): e is string => e !== null)
    // the report is out; the failure still needs its own line and exit code, like every other error
    for (const e of errors) err(`rampart: ${e}\n`)
    if (errors.length) this.exitCode = ExitCode.invalidPolicy
    else if (flags['fail-on-loosen'] && diff.summary.loosenings > 0) this.exitCode = ExitCode.checkFailed
    return diff
  }
}
