/** Every lint rule: a stable id, its default severity, a title and the help text (SARIF rule metadata, docs). */
export interface LintRule {
  id: string
  severity: 'error' | 'warning'
  title: string
  help: string
}

const rule = (id: string, severity: 'error' | 'warning', title: string, help: string): LintRule => ({id, severity, title, help})

export const LINT_RULES: readonly LintRule[] = [
  rule('RAM001', 'error', 'unknown-key', 'A key the policy schema does not define. Rampart refuses the file (the reference tool silently ignores it, which can turn a rule into a catch-all). Fix the spelling; the message suggests the nearest key.'),
  rule('RAM002', 'error', 'schema-violation', 'A value of the wrong type or form, or a missing required key. See `rampart policy schema`.'),
  rule('RAM003', 'error', 'unreadable-file', 'The file cannot be read as a single YAML document (syntax error, binary content, more than 1 MiB, alias bomb, a second document).'),
  rule('RAM004', 'error', 'duplicate-policy-name', 'Policy names must be unique: they identify policies in decisions, audit logs and overrides.'),
  rule('RAM005', 'error', 'invalid-action', 'Actions are allow, deny, ask, watch (aliases log, require_approval) and webhook. `block` means deny, `approve` means ask.'),
  rule('RAM006', 'error', 'too-many-globstars', 'At most two `**` per pattern; split the pattern into several.'),
  rule('RAM007', 'error', 'invalid-regex', 'response_matches / response_not_matches take RE2 regular expressions: no look-around, no back-references.'),
  rule('RAM008', 'error', 'catastrophic-regex', 'A repeated group inside a repetition, such as (a+)+, is catastrophic in backtracking engines that read the same policy.'),
  rule('RAM009', 'error', 'bad-call-count', 'call_count needs gte (0..1000) and a window such as 30s, 5m or 1h.'),
  rule('RAM010', 'error', 'blank-command-contains', 'A blank command_contains entry would match every command.'),
  rule('RAM011', 'error', 'only-negative-conditions', 'A rule made only of *_not_matches conditions never matches: negatives narrow a positive condition. Add the positive condition (or default: true).'),
  rule('RAM012', 'error', 'once-on-non-allow', '`once: true` makes a single-use allow; on any other action it has no meaning.'),
  rule('RAM013', 'error', 'invalid-timestamp', 'expires_at must be an RFC 3339 timestamp such as 2026-12-31T23:59:59Z.'),
  rule('RAM014', 'error', 'missing-suite-policy', 'The policy file a test suite names with `policy:` does not exist (the path is relative to the suite).'),
  rule('RAM101', 'warning', 'deprecated-alias', '`log` is an alias of watch and `require_approval` of ask with audit: true; write the explicit action.'),
  rule('RAM102', 'warning', 'allow-without-deny', 'default_action: allow and no deny rule: this policy blocks nothing.'),
  rule('RAM103', 'warning', 'rule-never-fires', 'The rule can never decide: an earlier rule in the same policy always matches first, or a higher-priority deny covers every call it could see.'),
  rule('RAM104', 'warning', 'allow-never-wins', 'Every command this allow covers is also matched by a deny rule in another policy, and deny always wins.'),
  rule('RAM105', 'warning', 'ask-options-on-non-ask', '`ask:` options (headless_only, audit) only mean something on an ask rule.'),
  rule('RAM106', 'warning', 'ask-without-approval-channel', 'In CI (headless) an ask is denied unless an approval channel exists: run `rampart serve` or configure the Rampart GitHub Action for approvals, or add headless_only: true to deny it explicitly.'),
  rule('RAM107', 'warning', 'reference-dialect-difference', 'The pattern matches differently in the reference Go tool, which reads a leading `*` as unanchored at the end and lets a single `*` stop at `/` in patterns with `**`.'),
  rule('RAM108', 'warning', 'project-allow-no-effect', 'A project policy can only tighten: its allow rules never override the user\'s policy. Ask the user to add a durable override (rampart allow) instead.'),
  rule('RAM109', 'warning', 'expired-rule', 'expires_at is in the past: the rule is skipped. Remove it.'),
  rule('RAM110', 'warning', 'priority-zero', 'priority: 0 runs first here; the reference tool treats 0 as the default 100, so the two decide differently.'),
]

export const LINT_RULE_BY_ID: ReadonlyMap<string, LintRule> = new Map(LINT_RULES.map((r) => [r.id, r]))
