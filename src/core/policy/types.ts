/**
 * The policy file as written (after YAML parsing and schema validation).
 * schemas/policy.schema.json is the source of truth; the *_KEYS maps below list every property of each type
 * and test/core/policy/schema-sync.test.ts checks them against the schema, so the two cannot drift apart.
 */

export type ActionName = 'allow' | 'deny' | 'watch' | 'log' | 'ask' | 'require_approval' | 'webhook'
export type DefaultActionName = 'allow' | 'deny' | 'ask' | 'watch' | 'log'
/** The four outcomes a decision can have. */
export type Action = 'allow' | 'deny' | 'ask' | 'watch'

export type GlobList = string | string[]

export interface PolicyFileDoc {
  $schema?: string
  version?: '1' | 1
  default_action?: DefaultActionName
  policies?: PolicyDoc[]
  tests?: TestCaseDoc[]
  notify?: NotifyDoc
}

export interface PolicyDoc {
  name: string
  description?: string
  priority?: number
  enabled?: boolean
  match?: MatchDoc
  rules?: RuleDoc[]
}

export interface MatchDoc {
  tool?: GlobList
  agent?: GlobList
  session?: GlobList
}

export interface RuleDoc {
  action: ActionName
  when?: WhenDoc
  message?: string
  ask?: AskOptionsDoc
  webhook?: WebhookDoc
  expires_at?: string
  once?: boolean
  added?: string
}

export interface AskOptionsDoc {
  audit?: boolean
  headless_only?: boolean
}

export interface WebhookDoc {
  url: string
  timeout?: string | number
  fail_open?: boolean
}

export interface WhenDoc {
  command_matches?: string[]
  command_not_matches?: string[]
  command_contains?: string[]
  command_env_assignments?: string[]
  path_matches?: string[]
  path_not_matches?: string[]
  url_matches?: string[]
  domain_matches?: string[]
  session_matches?: string[]
  session_not_matches?: string[]
  response_matches?: string[]
  response_not_matches?: string[]
  call_count?: CallCountDoc
  tool_param_matches?: Record<string, string>
  agent_depth?: AgentDepthDoc
  default?: boolean
}

export interface CallCountDoc {
  tool?: string
  gte: number
  window: string
}

export interface AgentDepthDoc {
  gte?: number
  lte?: number
  eq?: number
}

export interface NotifyDoc {
  url: string
  platform?: 'generic' | 'slack' | 'discord' | 'teams' | 'openclaw'
  on?: DefaultActionName[]
}

export interface TestCaseDoc {
  name: string
  tool?: string
  params?: {command?: string; path?: string; url?: string; [key: string]: unknown}
  command?: string
  path?: string
  url?: string
  response?: string
  session?: string
  agent?: string
  cwd?: string
  headless?: boolean
  agent_depth?: number
  expect: Action
  expect_message?: string
  expect_rule?: string
}

type Keys<T> = {[K in keyof Required<T>]: true}

export const POLICY_FILE_KEYS = {
  $schema: true, version: true, default_action: true, policies: true, tests: true, notify: true,
} as const satisfies Keys<PolicyFileDoc>
export const POLICY_KEYS = {
  name: true, description: true, priority: true, enabled: true, match: true, rules: true,
} as const satisfies Keys<PolicyDoc>
export const MATCH_KEYS = {tool: true, agent: true, session: true} as const satisfies Keys<MatchDoc>
export const RULE_KEYS = {
  action: true, when: true, message: true, ask: true, webhook: true, expires_at: true, once: true, added: true,
} as const satisfies Keys<RuleDoc>
export const ASK_KEYS = {audit: true, headless_only: true} as const satisfies Keys<AskOptionsDoc>
export const WEBHOOK_KEYS = {url: true, timeout: true, fail_open: true} as const satisfies Keys<WebhookDoc>
export const WHEN_KEYS = {
  command_matches: true, command_not_matches: true, command_contains: true, command_env_assignments: true,
  path_matches: true, path_not_matches: true, url_matches: true, domain_matches: true, session_matches: true,
  session_not_matches: true, response_matches: true, response_not_matches: true, call_count: true,
  tool_param_matches: true, agent_depth: true, default: true,
} as const satisfies Keys<WhenDoc>
export const CALL_COUNT_KEYS = {tool: true, gte: true, window: true} as const satisfies Keys<CallCountDoc>
export const AGENT_DEPTH_KEYS = {gte: true, lte: true, eq: true} as const satisfies Keys<AgentDepthDoc>
export const NOTIFY_KEYS = {url: true, platform: true, on: true} as const satisfies Keys<NotifyDoc>
export const TEST_CASE_KEYS = {
  name: true, tool: true, params: true, command: true, path: true, url: true, response: true, session: true,
  agent: true, cwd: true, headless: true, agent_depth: true, expect: true, expect_message: true, expect_rule: true,
} as const satisfies Keys<TestCaseDoc>
