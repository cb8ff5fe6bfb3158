import {onlyCommandCondition, type CompiledPolicy, type CompiledRule} from '../policy/compile.js'
import type {PolicySet} from '../policy/load.js'
import {compileCommandGlob} from '../engine/glob.js'

export interface RuleCoverage {
  policy: string
  rule: number
  file: string
  line: number
  action: string
  /** names of the cases this rule decided */
  positive: string[]
  /** names of cases that reached the rule without matching it (near misses) */
  negative: string[]
  /** why the rule can never decide, when it cannot */
  shadowed?: string
}

export interface CoverageReport {
  total: number
  covered: number
  percent: number
  rules: RuleCoverage[]
}

type Key = string
export const ruleKey = (p: CompiledPolicy, r: CompiledRule): Key => `${p.file}#${p.name}#${r.index}`

/**
 * Rules that can never decide, with the reason (cli.md "Rule coverage"):
 * - after a catch-all rule in the same policy (first match wins);
 * - every command pattern covered by an earlier rule of the same policy that matches on the command alone
 *   (an earlier restrictive rule shadows any later rule; an earlier allow only a later allow, since an allow must
 *   cover every component of a compound command);
 * - in a policy behind a higher-priority catch-all deny over the same tools, for every agent and session.
 */
export function shadowedRules(set: Pick<PolicySet, 'policies'>): Map<Key, string> {
  const out = new Map<Key, string>()
  const blockers: CompiledPolicy[] = []
  for (const p of set.policies) {
    if (!p.enabled) continue
    const blocker = blockers.find((b) => coversTools(b, p))
    for (const [i, r] of p.rules.entries()) {
      if (blocker) {
        out.set(ruleKey(p, r), `policy '${blocker.name}' (priority ${blocker.priority}) denies every ${toolsOf(p)} call first`)
        continue
      }
      const earlier = p.rules.slice(0, i)
      const catchAll = earlier.find((e) => e.when.always)
      if (catchAll) {
        out.set(ruleKey(p, r), `rule ${catchAll.index} of the same policy matches every call first`)
        continue
      }
      const cover = earlier.find((e) => commandOnly(e) && commandOnly(r) && (e.action !== 'allow' || r.action === 'allow') &&
        r.when.command !== undefined && !e.when.commandNot && r.when.command.sources.every((src) => e.when.command?.sources.some((g) => globCovers(g, src))))
      if (cover) out.set(ruleKey(p, r), `rule ${cover.index} of the same policy matches all of its patterns first`)
    }
    if (p.layer !== 'project' && !p.match.agent && !p.match.session && p.rules[0]?.when.always && p.rules[0].action === 'deny') blockers.push(p)
  }
  return out
}

/** A rule decided by its command patterns alone (no other condition, no expiry, not single-use). */
export function commandOnly(r: CompiledRule): boolean {
  return onlyCommandCondition(r.when) && r.expiresAt === undefined && !r.once
}

/**
 * Does glob `outer` match everything `inner` matches? Answered only for globs made of literals and `*`: then if
 * outer matches inner's text (inner's stars read as plain characters), each of inner's stars falls inside one of
 * outer's — outer's literals cannot match a `*` — so whatever inner's stars expand to, outer's absorb it.
 */
export function globCovers(outer: string, inner: string): boolean {
  if (outer === inner) return true
  if (/[?[\\]/.test(outer) || /[?[\\]/.test(inner)) return false
  let glob = compiled.get(outer)
  if (!glob) {
    glob = compileCommandGlob(outer)
    compiled.set(outer, glob)
  }
  return glob.test(inner)
}

// lint compares every allow with every deny: compile each glob once
const compiled = new Map<string, ReturnType<typeof compileCommandGlob>>()

function coversTools(blocker: CompiledPolicy, p: CompiledPolicy): boolean {
  if (!blocker.match.tool) return true
  if (!p.match.tool) return false
  return p.match.tool.sources.every((t) => blocker.match.tool?.test(t))
}

function toolsOf(p: CompiledPolicy): string {
  return p.match.tool ? p.match.tool.sources.join('/') : ''
}
