export {policyDiff, WORKTREE, type DiffOptions} from './diff.js'
export {formatText} from './format.js'
export {formatMarkdown, COMMENT_LIMIT, MARKER} from './markdown.js'
export type {PolicyDiff, DecisionChange, FileChange, RuleChanges, RuleInfo, RuleRef, Outcome, CallInfo, SideInfo, DiffSummary} from './types.js'
