/**
 * Rampart as a library: one engine for the CLI, the hook, the server and the GitHub Action.
 *
 *   import {loadPolicy, evaluate} from 'rampart'
 *   const policy = loadPolicy({cwd: process.cwd()})
 *   const decision = evaluate(policy, {tool: 'exec', command: 'rm -rf /'})
 */
export {loadPolicy, listProfiles, rampartHome, findProjectRoot, type LoadOptions, type PolicySet} from './core/policy/load.js'
export {evaluate, onceKey, setAnalysisMemo, type Decision, type ToolCall, type EvaluateOptions, type CallHistory, type OnceLedger, type MatchedRule} from './core/engine/evaluate.js'
export {callFromParams, callFromTarget} from './core/engine/call.js'
export {analyzeCommand, normalizeCommand, type CommandAnalysis, type ShellComponent} from './core/engine/shell.js'
export {detectSession, detectHeadless} from './core/session/detect.js'
export {PolicyError, UsageError, RampartError, ExitCode} from './core/errors.js'
export type {Action, PolicyFileDoc, PolicyDoc, RuleDoc, WhenDoc} from './core/policy/types.js'
