import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import * as T from '../../../src/core/policy/types.js'

const schema = JSON.parse(readFileSync(new URL('../../../schemas/policy.schema.json', import.meta.url), 'utf8'))
const defs = schema.$defs

const keysOf = (node: {properties?: Record<string, unknown>}) => Object.keys(node.properties ?? {}).sort()

describe('TypeScript types and schemas/policy.schema.json', () => {
  it.each([
    ['top level', schema, T.POLICY_FILE_KEYS],
    ['policy', defs.policy, T.POLICY_KEYS],
    ['match', defs.match, T.MATCH_KEYS],
    ['rule', defs.rule, T.RULE_KEYS],
    ['ask', defs.askOptions, T.ASK_KEYS],
    ['webhook', defs.webhook, T.WEBHOOK_KEYS],
    ['when', defs.when, T.WHEN_KEYS],
    ['call_count', defs.callCount, T.CALL_COUNT_KEYS],
    ['agent_depth', defs.agentDepth, T.AGENT_DEPTH_KEYS],
    ['notify', defs.notify, T.NOTIFY_KEYS],
    ['test case', defs.testCase, T.TEST_CASE_KEYS],
  ])('%s has the same keys in both', (_name, node, keys) => {
    expect(keysOf(node)).toEqual(Object.keys(keys).sort())
  })

  it('rejects unknown keys at every object level', () => {
    type Node = {type?: string; properties?: object; additionalProperties?: unknown}
    const objects = ([schema, ...Object.values(defs)] as Node[]).filter((d) => d.type === 'object' && d.properties)
    for (const o of objects) expect(o.additionalProperties).toBe(false)
  })

  it('lists exactly the rule actions the engine understands', () => {
    expect(defs.action.enum.sort()).toEqual(['allow', 'ask', 'deny', 'log', 'require_approval', 'watch', 'webhook'])
  })
})
