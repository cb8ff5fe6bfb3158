import type {SuiteReport} from './suite.js'

// built from code points so that the source holds no control characters
const CONTROL = new RegExp(`[${String.fromCharCode(0)}-${String.fromCharCode(8)}${String.fromCharCode(11, 12)}${String.fromCharCode(14)}-${String.fromCharCode(31)}]`, 'g')

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;'})[c] as string)
    // XML 1.0 forbids most control characters even escaped
    .replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

/** Standard JUnit XML (the Jenkins / GitHub test-reporter dialect): one <testsuite> per suite file. */
export function toJUnit(report: SuiteReport, name = 'rampart'): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>']
  const seconds = (us: number) => (us / 1e6).toFixed(6)
  const totalUs = report.tests.reduce((s, t) => s + t.eval_us, 0)
  out.push(`<testsuites name="${escape(name)}" tests="${report.total}" failures="${report.failed}" errors="${report.errors + report.invalidFiles}" skipped="${report.skipped}" time="${seconds(totalUs)}">`)
  for (const f of report.files) {
    const cases = report.tests.filter((t) => t.file === f.file)
    const us = cases.reduce((s, t) => s + t.eval_us, 0)
    out.push(`  <testsuite name="${escape(f.file)}" tests="${f.tests}" failures="${f.failed}" errors="${f.errors + (f.error ? 1 : 0)}" time="${seconds(us)}">`)
    if (f.error) out.push(`    <testcase name="load ${escape(f.file)}" classname="${escape(f.file)}" time="0"><error message="${escape(f.error)}"/></testcase>`)
    for (const t of cases) {
      const open = `    <testcase name="${escape(t.name)}" classname="${escape(t.file)}" file="${escape(t.file)}" line="${t.line}" time="${seconds(t.eval_us)}"`
      if (t.passed) {
        out.push(`${open}/>`)
      } else {
        const tag = t.got === 'error' ? 'error' : 'failure'
        out.push(`${open}>`, `      <${tag} message="${escape(t.failure ?? '')}" type="${t.got === 'error' ? 'error' : 'decision'}">${escape(`expected ${t.expected}, got ${t.got}\n${t.message}`)}</${tag}>`, '    </testcase>')
      }
    }
    out.push('  </testsuite>')
  }
  out.push('</testsuites>')
  return out.join('\n') + '\n'
}
