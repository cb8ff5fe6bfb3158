import {analyzeCommand, type CommandAnalysis} from './shell.js'

const DESTRUCTIVE = new Set(['rm', 'shred', 'dd', 'wipefs', 'fdisk', 'sfdisk', 'parted', 'truncate', 'srm', 'mkswap'])
const SENSITIVE = [/(^|\/)etc\//, /~\/\.ssh|\/\.ssh(\/|$)/, /\.pem$/, /\.key$/, /id_(rsa|dsa|ecdsa|ed25519)/, /shadow/, /\.aws\/|\.gnupg|\.kube\/config|\.npmrc|\.netrc|\.env(\.|$)/]
const EXTREME = [
  /(^|\s)rm\s+-rf\s+(\/|~|\$HOME)\s*$/, // rm -rf / and friends
  /:\(\)\s*\{.*:\s*\|\s*:.*\}/, // fork bomb
  /\b(curl|wget)\b[^|]*\|\s*(sudo\s+)?(ba|z|da|k)?sh\b/, // piped remote execution
  /\bmkfs(\.\w+)?\b/,
  /\bdd\b.*\bof=\/dev\/(sd|nvme|disk|hd)/,
]

function quote(text: string): string {
  return `"${text.replace(/(["\\$`])/g, '\\$1')}"`
}

export interface SuggestionInput {
  tool: string
  command?: string | undefined
  path?: string | undefined
  url?: string | undefined
}

/**
 * Ready-to-run `rampart allow` commands for a denied call (seed 003, policy.md §5): the exact call, and where
 * safe a wildcard form. Extremely dangerous commands get a warning instead of a way to allow them.
 */
export function suggestAllow(input: SuggestionInput, analysis?: CommandAnalysis): string[] {
  if (input.command !== undefined) return suggestForCommand(input.command, analysis)
  const target = input.path ?? input.url
  if (target === undefined) return []
  const tool = input.path !== undefined ? input.tool : 'fetch'
  const toolFlag = tool === 'exec' ? '' : ` --tool ${tool}`
  const out = [`rampart allow ${quote(target)}${toolFlag}`]
  if (input.path !== undefined && !SENSITIVE.some((re) => re.test(target))) {
    const slash = target.lastIndexOf('/')
    if (slash > 0) out.push(`rampart allow ${quote(target.slice(0, slash) + '/**')}${toolFlag}   # everything in that folder`)
  }
  return out
}

function suggestForCommand(command: string, known?: CommandAnalysis): string[] {
  const trimmed = command.trim()
  if (trimmed === '' || trimmed.length > 500) return []
  const analysis = known ?? analyzeCommand(trimmed)
  const norm = analysis.normalized
  if (EXTREME.some((re) => re.test(norm) || re.test(trimmed))) {
    return ['# no allow suggestion: this command is destructive or runs remote code; run it yourself if you really mean it']
  }
  const out = [`rampart allow ${quote(trimmed)}`]
  const single = analysis.components.length === 1 ? analysis.components[0] : undefined
  if (!single || single.privileged) return out
  if (DESTRUCTIVE.has(single.executable) || /^mkfs/.test(single.executable)) return out
  if (SENSITIVE.some((re) => re.test(trimmed))) return out
  const words = single.text.split(' ')
  for (let i = words.length - 1; i >= 1; i--) {
    const w = words[i] as string
    if (w.startsWith('-')) continue
    const wildcard = [...words.slice(0, i), '*'].join(' ')
    if (wildcard !== trimmed) out.push(`rampart allow ${quote(wildcard)}   # allows any ${words.slice(0, i).join(' ')} command`)
    break
  }
  return out
}
