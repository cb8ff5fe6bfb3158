import type {Action} from '../policy/types.js'

/** Where a compared call came from. */
export type CallSource = 'test' | 'corpus' | 'recorded'

/** A rule as shown to people: file paths are repository-relative (or `builtin:NAME.yaml`, `$RAMPART_HOME/...`). */
export interface RuleRef {
  policy: string
  /** 1-based index of the rule in its policy */
  rule: number
  file: string
  line: number
}

export interface RuleInfo extends RuleRef {
  /** the action as written (log, require_approval kept) */
  action: string
  /** a short one-line rendering of the rule's conditions */
  summary: string
}

export interface Outcome {
  action: Action
  /** null: no rule fired, the default action applied */
  rule: RuleRef | null
}

export interface CallInfo {
  tool: string
  command?: string
  path?: string
  url?: string
  agent?: string
  session?: string
  cwd?: string
}

export type ChangeKind = 'loosening' | 'tightening' | 'rule'

export interface DecisionChange {
  source: CallSource
  /** test case name, corpus case id and name, or the recorded call's time */
  name: string
  /** file:line of the first occurrence (repository-relative for test suites and recordings) */
  where: string
  /** how many cases / recorded lines carry exactly this call (evaluated once) */
  occurrences: number
  call: CallInfo
  before: Outcome
  after: Outcome
  loosening: boolean
  kind: ChangeKind
}

export type FileStatus = 'added' | 'removed' | 'modified' | 'renamed'

export interface FileChange {
  status: FileStatus
  old_path: string | null
  new_path: string | null
  /** git's similarity index for a rename, 0-100 */
  similarity?: number
  /** unified diff */
  patch: string
}

export interface RuleChanges {
  added: RuleInfo[]
  removed: RuleInfo[]
  changed: Array<{before: RuleInfo; after: RuleInfo}>
  /** rules that decided at least one call at BASE and decide none at HEAD (still present) */
  unexercised: Array<RuleInfo & {decided_at_base: number}>
  /** project policies added, removed, or with a changed priority / match / enabled / description */
  policies: Array<{policy: string; change: 'added' | 'removed' | 'changed'; fields: string[]}>
  /** when one side's project policy does not parse: the other side's rules, since nothing can be compared */
  listed?: {side: 'base' | 'head'; rules: RuleInfo[]}
}

export interface SideInfo {
  /** as given (or derived: `merge-base(HEAD, origin/main)`), or `worktree` */
  revision: string
  /** full commit id, null for the working tree */
  commit: string | null
  /** short human label: `main (abc1234)`, `working tree` */
  label: string
  /** whether .rampart/policy.yaml exists on this side */
  project_policy: boolean
  /** one line when this side's policy cannot be loaded: revision, file:line:col, problem and fix */
  error: string | null
}

export interface DiffSummary {
  loosenings: number
  tightenings: number
  /** same action, decided by another rule */
  rule_only: number
  calls: {test: number; corpus: number; recorded: number; distinct: number}
  files_changed: number
  rules_added: number
  rules_removed: number
  rules_changed: number
  rules_unexercised: number
  /** false when one side could not be loaded, so decisions were not compared */
  complete: boolean
}

export interface PolicyDiff {
  base: SideInfo
  head: SideInfo
  files: FileChange[]
  changes: DecisionChange[]
  rules: RuleChanges
  summary: DiffSummary
  /** non-fatal: suite files that could not be read on one side, and the like */
  warnings: string[]
}
