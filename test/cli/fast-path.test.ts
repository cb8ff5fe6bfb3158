import {describe, expect, it} from 'vitest'

import {FAST_TEST_OPTIONS, SUITE_ONLY_FLAGS} from '../../src/cli/fast.js'
import Test from '../../src/commands/test.js'

type FlagSpec = {type: string; allowNo?: boolean}

/** The oclif command's flags as the lean entry must see them (--json comes from enableJsonFlag). */
function oclifFlags(): Record<string, FlagSpec> {
  const flags: Record<string, FlagSpec> = {...(Test.flags as Record<string, FlagSpec>)}
  if (Test.enableJsonFlag) flags.json = {type: 'boolean'}
  for (const f of SUITE_ONLY_FLAGS) delete flags[f]
  for (const [name, spec] of Object.entries(flags)) if (spec.allowNo) flags[`no-${name}`] = {type: 'boolean'}
  return flags
}

describe('the lean dry-run entry', () => {
  it('accepts exactly the flags of the oclif `rampart test` command', () => {
    expect(Object.keys(FAST_TEST_OPTIONS).sort()).toEqual(Object.keys(oclifFlags()).sort())
  })

  it('flag types agree', () => {
    const flags = oclifFlags()
    for (const [name, spec] of Object.entries(FAST_TEST_OPTIONS)) {
      expect(flags[name]?.type, name).toBe(spec.type === 'string' ? 'option' : 'boolean')
    }
  })
})

describe('the lean lint entry', () => {
  it('accepts exactly the flags of the oclif `rampart policy lint` command', async () => {
    const {FAST_LINT_OPTIONS} = await import('../../src/cli/fast-lint.js')
    const {default: Lint} = await import('../../src/commands/policy/lint.js')
    const flags: Record<string, {type: string}> = {...(Lint.flags as Record<string, {type: string}>)}
    if (Lint.enableJsonFlag) flags.json = {type: 'boolean'}
    expect(Object.keys(FAST_LINT_OPTIONS).sort()).toEqual(Object.keys(flags).sort())
    for (const [name, spec] of Object.entries(FAST_LINT_OPTIONS)) expect(flags[name]?.type, name).toBe(spec.type === 'string' ? 'option' : 'boolean')
  })
})

describe('the lean hook entry', () => {
  it('accepts exactly the flags of the oclif `rampart hook claude-code` command', async () => {
    const {HOOK_OPTIONS} = await import('../../src/cli/fast-hook.js')
    const {default: Hook} = await import('../../src/commands/hook/claude-code.js')
    expect(Object.keys(HOOK_OPTIONS).sort()).toEqual(Object.keys(Hook.flags).sort())
  })
})

describe('the hook\'s own flag parser', () => {
  it('reads the hook flags like parseArgs and refuses what parseArgs refuses', async () => {
    const {parseHookArgs} = await import('../../src/cli/fast-hook.js')
    expect(parseHookArgs([])).toEqual({})
    expect(parseHookArgs(['--config', 'p.yaml', '--profile=ci', '--no-project'])).toEqual({config: 'p.yaml', profile: 'ci', 'no-project': true})
    expect(parseHookArgs(['--config=a=b.yaml'])).toEqual({config: 'a=b.yaml'})
    for (const bad of [['--nope'], ['stray'], ['--config'], ['--config', '--profile', 'x'], ['--no-project=1'], ['-c', 'x']]) {
      expect(() => parseHookArgs(bad), bad.join(' ')).toThrow()
    }
  })
})
