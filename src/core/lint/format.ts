import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join, relative} from 'node:path'

import {packageRoot} from '../package-root.js'
import type {Finding, LintResult} from './lint.js'
import {LINT_RULES} from './rules.js'

export type LintFormat = 'text' | 'json' | 'sarif' | 'github'

const rel = (file: string, base: string) => {
  const r = relative(base, file)
  return r && !r.startsWith('..') ? r.split('\\').join('/') : file
}

export function summaryLine(result: LintResult): string {
  const errors = result.findings.filter((f) => f.severity === 'error').length
  const warnings = result.findings.length - errors
  return `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} in ${result.files.length} file${result.files.length === 1 ? '' : 's'}`
}

/** `file:line:col severity id message — fix` per finding, then a summary line. */
export function formatText(result: LintResult, base: string): string {
  const lines = result.findings.map((f) => `${rel(f.file, base)}:${f.line}:${f.col} ${f.severity} ${f.id} ${f.message} — ${f.hint}`)
  lines.push(summaryLine(result))
  return lines.join('\n')
}

export function formatJson(result: LintResult, base: string): string {
  return JSON.stringify({
    files: result.files.map((f) => rel(f, base)),
    errors: result.findings.filter((f) => f.severity === 'error').length,
    warnings: result.findings.filter((f) => f.severity === 'warning').length,
    unreadable: result.unreadable.map((f) => rel(f, base)),
    findings: result.findings.map((f) => ({...f, file: rel(f.file, base)})),
  }, null, 2)
}

/** GitHub workflow commands: one annotation per finding, shown on the pull request's diff. */
export function formatGithub(result: LintResult, base: string): string {
  const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
  const prop = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
  const lines = result.findings.map((f) =>
    `::${f.severity === 'error' ? 'error' : 'warning'} file=${prop(rel(f.file, base))},line=${f.line},col=${f.col},title=${prop(`${f.id} rampart policy lint`)}::${data(`${f.message} — ${f.hint}`)}`)
  lines.push(summaryLine(result))
  return lines.join('\n')
}

/**
 * SARIF 2.1.0 for GitHub code scanning: rule metadata, URIs relative to the repository root, regions, and
 * fingerprints that survive unrelated edits (rule, file, and the text of the flagged line — not its number).
 */
export function formatSarif(result: LintResult, base: string): string {
  const version = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {version: string}).version
  const texts = new Map<string, string[]>()
  const lineText = (f: Finding): string => {
    let lines = texts.get(f.file)
    if (!lines) {
      try {
        lines = readFileSync(f.file, 'utf8').split(/\r?\n/)
      } catch {
        lines = []
      }
      texts.set(f.file, lines)
    }
    return (lines[f.line - 1] ?? '').trim()
  }
  const ruleIndex = new Map(LINT_RULES.map((r, i) => [r.id, i]))
  const seen = new Map<string, number>()
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'rampart',
          informationUri: 'https://github.com/rampart-dev/rampart',
          semanticVersion: version,
          version,
          rules: LINT_RULES.map((r) => ({
            id: r.id,
            name: r.title,
            shortDescription: {text: r.title.replace(/-/g, ' ')},
            fullDescription: {text: r.help},
            help: {text: r.help},
            defaultConfiguration: {level: r.severity},
            properties: {tags: ['rampart', 'policy'], precision: 'high'},
          })),
        },
      },
      originalUriBaseIds: {SRCROOT: {uri: pathToUri(base)}},
      results: result.findings.map((f) => {
        const uri = rel(f.file, base)
        const hash = createHash('sha256').update(`${f.id}\0${uri}\0${lineText(f)}\0${f.message}`).digest('hex').slice(0, 32)
        const n = seen.get(hash) ?? 0
        seen.set(hash, n + 1)
        return {
          ruleId: f.id,
          ruleIndex: ruleIndex.get(f.id) ?? 0,
          level: f.severity,
          message: {text: `${f.message} — ${f.hint}`},
          locations: [{physicalLocation: {artifactLocation: {uri, uriBaseId: 'SRCROOT'}, region: {startLine: f.line, startColumn: f.col}}}],
          partialFingerprints: {'rampartFinding/v1': `${hash}:${n}`},
        }
      }),
    }],
  }
  return JSON.stringify(sarif, null, 2)
}

function pathToUri(dir: string): string {
  const withSlash = dir.endsWith('/') ? dir : `${dir}/`
  return `file://${withSlash.split('/').map((s) => encodeURIComponent(s)).join('/')}`
}
