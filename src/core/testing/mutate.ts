/**
 * Equivalent disguises of a shell command, for `rampart test --mutate`: every `expect: deny` / `expect: ask` exec case
 * is re-run in each disguise, and a disguise whose decision is weaker than the original's is reported as a bypass.
 *
 * A bypass report is only worth something if the disguise really runs the same thing, so every technique here keeps
 * the original command and its arguments exactly (it may add privilege or a transparent launcher, never remove or
 * change what runs), and each one is skipped whenever that cannot be guaranteed from the text alone:
 *
 * - Whole-command wrappers (`bash -c '…'`, `sh -lc '…'`, `true && …`, `…; true`, `echo "$(…)"`, echo "`…`") leave the
 *   command text untouched. The shell wrappers single-quote it (`'` becomes `'\''`). They are skipped when the text
 *   refers to something that differs in another shell or after `true` (`$$`, `$?`, `$1`, `$RANDOM`, …); `sh -lc` also
 *   when the text uses bash-only syntax or backslashes (sh may be dash), and all of them when the text starts with a
 *   comment or a closing word. Appending techniques (`; true`, `$(…)`) are skipped after a comment, a heredoc, an
 *   escaped trailing blank, a word that expects more (`!`, `if`, an unclosed `[[`) or a trailing operator other than
 *   one `;` / `&`; backticks when the text has backslashes or backticks of its own (they would be re-interpreted);
 *   `$(…)` when the text has a stray `)` (case) or an array assignment.
 * - Launcher prefixes (`env X=1`, `timeout 5`, `nice`, `sudo`) and `FOO=1` go in front of the first simple command, only
 *   when it starts the string and its executable is a plain, known word: never before a keyword, a builtin that a
 *   launcher cannot run (cd, export, eval, exec, …), a function definition or an assignment-only command; launchers are
 *   also skipped after leading NAME=value words (sudo drops them, and PATH=… would change the launcher looked up), and
 *   the added variable is never one the command refers to. sudo is not added to a command that is already privileged
 *   (`sudo …`, `nice sudo …`) nor after a launcher followed by a NAME=value word (sudo would take it as a setting).
 * - Executable spelling (`/bin/rm`, `'r'm`, `r\m`) is only changed for a plain name `[A-Za-z0-9._+-]` whose pieces
 *   mean themselves once quoted or escaped; the absolute path is not used for builtins, keywords, names with a
 *   directory, or after an assignment to PATH.
 * - Flags are only split (`-rf` → `-r -f`) or swapped for allow-listed getopt utilities, before the first operand and
 *   before `--`, for letter-only clusters in which no letter but the last takes a value; swaps only between two
 *   single-letter (or listed long) flags known not to override each other.
 * - Input with unbalanced quotes or substitutions, or ending in a lone backslash, gets no disguise at all.
 *
 * The parsing below is deliberately small and conservative (it only needs to find the first simple command's words and
 * a few facts about the whole text); when it is unsure it produces fewer disguises, never a wrong one.
 */

export interface Disguise {
  /** stable id of the technique, e.g. 'bash-c', 'sh-lc', 'env-assign', 'prefix-assign', 'timeout', 'nice', 'abs-path', 'quote-split', 'backslash', 'subst-dollar', 'subst-backtick', 'true-and', 'then-true', 'sudo', 'split-flags', 'reorder-flags' */
  technique: string
  /** the disguised command text, exactly as it would be given to the agent's shell */
  command: string
}

/** Equivalent disguises of `command` (deduplicated, never equal to the input). Empty for an empty command. */
export function disguises(command: string): Disguise[] {
  try {
    return build(typeof command === 'string' ? command : String(command))
  } catch {
    // a mutation pass must never take the test run down; no disguise is the safe answer
    return []
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Word lists

/** reserved words and syntax that only mean something unquoted at the start of a command */
const KEYWORDS = new Set([
  'if', 'then', 'else', 'elif', 'fi', 'case', 'esac', 'for', 'select', 'while', 'until', 'do', 'done', 'in',
  'function', 'time', 'coproc', '{', '}', '!', '[[', ']]',
])

/** builtins that env / timeout / nice / sudo cannot run (or that would then act on another process) */
const BUILTINS = new Set([
  'cd', 'export', 'source', '.', 'eval', 'exec', 'set', 'unset', 'alias', 'unalias', 'declare', 'typeset', 'local',
  'readonly', 'return', 'exit', 'logout', 'shift', 'trap', 'wait', 'ulimit', 'umask', 'shopt', 'builtin', 'command',
  'read', 'let', 'history', 'jobs', 'fg', 'bg', 'hash', 'type', 'pushd', 'popd', 'dirs', 'disown', 'enable', 'getopts',
  'break', 'continue', 'times', 'caller', 'bind', 'complete', 'compgen', 'compopt', 'mapfile', 'readarray', 'suspend',
  'fc', 'help', ':',
])

/** builtins that also exist as binaries but are not worth an absolute-path disguise */
const NO_ABS_PATH = new Set(['true', 'false', 'test', '['])

const BIN_NAMES = new Set(['rm', 'cp', 'mv', 'cat', 'chmod', 'chown', 'ln', 'mkdir', 'dd', 'ls', 'echo', 'sh', 'bash', 'kill'])
const SBIN_NAMES = new Set([
  'shutdown', 'reboot', 'halt', 'poweroff', 'mkfs', 'fdisk', 'sfdisk', 'parted', 'wipefs', 'iptables', 'ip6tables',
  'nft', 'useradd', 'userdel', 'usermod', 'groupadd', 'groupdel', 'visudo', 'chroot', 'modprobe', 'insmod', 'rmmod',
  'swapoff', 'swapon', 'sysctl',
])

/** words after which the shell expects more text */
const OPENING_WORDS = new Set([
  '!', '{', '(', 'if', 'then', 'do', 'else', 'elif', 'while', 'until', 'case', 'for', 'select', 'in', 'function', 'time',
  'coproc', '[[',
])

/** launchers that run their arguments as a command (sudo would read a NAME=value argument as its own setting) */
const INNER_LAUNCHERS = new Set([
  'nohup', 'nice', 'setsid', 'stdbuf', 'time', 'xargs', 'unbuffer', 'chronic', 'timeout', 'ionice', 'chrt', 'busybox',
  'nocorrect', 'noglob', 'pkexec', 'runuser', 'su',
])

const PRIV = new Set(['sudo', 'doas', 'pkexec', 'su', 'runuser'])

const PLAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/

interface FlagSpec {
  /** short options that take a value */
  arg: string
  /** single-letter flags (no value) that never override one another, so two adjacent ones may be swapped */
  commute: string
  /** long options known to take no value, which commute with the above */
  longs: readonly string[]
}

/**
 * getopt-style utilities whose clustered short flags may be split. Deliberately absent: tar (old-style `tar czf`),
 * find (`-name` is one option), chmod (`-rwx` is a mode), kill (`-9`), git and other subcommand tools.
 */
const FLAG_SPECS = new Map<string, FlagSpec>([
  ['rm', {arg: '', commute: 'rRfvd', longs: ['--recursive', '--force', '--verbose', '--no-preserve-root', '--one-file-system', '--dir']}],
  ['cp', {arg: 'St', commute: 'rRfv', longs: ['--recursive', '--force', '--verbose']}],
  ['mv', {arg: 'St', commute: 'fv', longs: ['--force', '--verbose']}],
  ['ls', {arg: 'ITw', commute: 'lahRis', longs: ['--all', '--recursive']}],
  ['chown', {arg: '', commute: 'Rhv', longs: ['--recursive', '--verbose']}],
  ['ln', {arg: 'St', commute: 'sfv', longs: ['--symbolic', '--force', '--verbose']}],
  ['mkdir', {arg: 'm', commute: 'pv', longs: ['--parents', '--verbose']}],
  ['rmdir', {arg: '', commute: 'pv', longs: ['--parents', '--verbose']}],
  ['grep', {arg: 'efmABCdDX', commute: 'rinwxsv', longs: ['--recursive', '--ignore-case', '--line-number']}],
  ['cat', {arg: '', commute: 'nsvETAet', longs: []}],
])

/** variables whose value differs in another shell, a subshell or after `true` */
const UNSTABLE_VARS = new Set([
  'RANDOM', 'SRANDOM', 'BASHPID', 'PPID', 'SHLVL', 'LINENO', 'SECONDS', 'EPOCHSECONDS', 'EPOCHREALTIME', 'PIPESTATUS',
  'FUNCNAME', 'BASH_COMMAND', 'BASH_SUBSHELL', 'BASH_EXECUTION_STRING', 'BASH_LINENO', 'BASH_SOURCE', 'BASH_ARGV',
  'BASH_ARGC', 'BASH_REMATCH',
])

/** words that only bash understands (sh may be dash) */
const BASH_ONLY_WORDS =
  /(?:^|[\s;&|(){}])(?:function|source|select|declare|typeset|let|shopt|pushd|popd|dirs|mapfile|readarray|time|coproc|disown|enable|bind|complete|compgen|caller|builtin|suspend|logout|history)(?=$|[\s;&|()])/
const BASH_ONLY_SYNTAX = ['[[', ']]', '<<<', "$'", '$"', '&>', '|&', '=(', '<(', '>(', '==', '**', '@(', '!(', '+(', '*(', '?(']

// ---------------------------------------------------------------------------------------------------------------------
// Scanning

const BLANK = 1
const OP = 2
const COMMENT = 3

interface Scan {
  /** quotes and substitutions are balanced and there is no lone trailing backslash */
  ok: boolean
  heredoc: boolean
  comment: boolean
  /** a `)` that closes nothing (case patterns) */
  strayParen: boolean
  /** `$$`, `$?`, `$1`, `$RANDOM`, … outside single quotes */
  unstable: boolean
  /** names referenced as `$NAME` / `${NAME…` outside single quotes */
  refs: Set<string>
  /** per character: BLANK / OP / COMMENT when it is an unquoted top-level blank, operator character or comment start */
  marks: Uint8Array
}

/** top level, ( … ) or $( … ), ${ … }, " … ", ` … `, $(( … )) */
type Ctx = 'T' | 'P' | 'B' | 'D' | 'K' | 'A'

function isNameStart(c: string): boolean {
  return /^[A-Za-z_]$/.test(c)
}

function isNameChar(c: string): boolean {
  return /^[A-Za-z0-9_]$/.test(c)
}

function scan(s: string): Scan {
  const n = s.length
  const res: Scan = {ok: true, heredoc: false, comment: false, strayParen: false, unstable: false, refs: new Set(), marks: new Uint8Array(n)}
  const stack: Ctx[] = ['T']
  const pending: Heredoc[] = []
  let i = 0
  const dollar = (): void => {
    // s[i] === '$'
    const nx = s.charAt(i + 1)
    const inDq = stack[stack.length - 1] === 'D'
    if (nx === '(' && s.charAt(i + 2) === '(') {
      // $(( … )): the inner level closes at the first `)`, the outer one at the second
      stack.push('P', 'A')
      i += 3
    } else if (nx === '(') {
      stack.push('P')
      i += 2
    } else if (nx === '{') {
      stack.push('B')
      i += 2
      const c = s.charAt(i)
      if (c === '#' || c === '!') {
        // ${#x} / ${!x}: the name follows
        const d = s.charAt(i + 1)
        if (!isNameStart(d)) res.unstable = true
      } else if (/^[0-9?$!@*_-]$/.test(c) && !(c === '_' && isNameChar(s.charAt(i + 1)))) res.unstable = true
      let j = c === '#' || c === '!' ? i + 1 : i
      if (isNameStart(s.charAt(j))) {
        const st = j
        while (j < n && isNameChar(s.charAt(j))) j++
        ref(s.slice(st, j))
      }
    } else if (nx === "'" && !inDq) {
      let j = i + 2
      while (j < n && s.charAt(j) !== "'") j += s.charAt(j) === '\\' ? 2 : 1
      if (j >= n) res.ok = false
      i = j + 1
    } else if (nx === '"' && !inDq) {
      stack.push('D')
      i += 2
    } else if (/^[0-9?$!@*#-]$/.test(nx)) {
      res.unstable = true
      i += 2
    } else if (isNameStart(nx)) {
      let j = i + 1
      while (j < n && isNameChar(s.charAt(j))) j++
      const name = s.slice(i + 1, j)
      if (name === '_') res.unstable = true
      ref(name)
      i = j
    } else i++
  }
  const ref = (name: string): void => {
    res.refs.add(name)
    if (UNSTABLE_VARS.has(name)) res.unstable = true
  }
  while (i < n) {
    const top = stack[stack.length - 1]!
    const c = s.charAt(i)
    if (top === 'D') {
      if (c === '\\') i += 2
      else if (c === '"') {
        stack.pop()
        i++
      } else if (c === '$') dollar()
      else if (c === '`') {
        stack.push('K')
        i++
      } else i++
      continue
    }
    if (top === 'K') {
      if (c === '\\') i += 2
      else if (c === '`') {
        stack.pop()
        i++
      } else i++
      continue
    }
    const level = stack.length === 1
    switch (c) {
      case '\\':
        if (i + 1 >= n) res.ok = false
        i += 2
        break
      case "'": {
        const j = s.indexOf("'", i + 1)
        if (j < 0) {
          res.ok = false
          i = n
        } else i = j + 1
        break
      }
      case '"':
        stack.push('D')
        i++
        break
      case '`':
        stack.push('K')
        i++
        break
      case '$':
        dollar()
        break
      case '(':
        if (top !== 'B') {
          if (level) res.marks[i] = OP
          stack.push('P')
        }
        i++
        break
      case ')':
        if (top === 'P' || top === 'A') stack.pop()
        else if (top === 'T') {
          res.strayParen = true
          res.marks[i] = OP
        }
        i++
        break
      case '{':
        if (top === 'B') stack.push('B')
        i++
        break
      case '}':
        if (top === 'B') stack.pop()
        i++
        break
      case '#': {
        const prev = i === 0 ? ' ' : s.charAt(i - 1)
        if (top !== 'B' && top !== 'A' && /[\s;&|()<>]/.test(prev)) {
          res.comment = true
          if (level) res.marks[i] = COMMENT
          const e = s.indexOf('\n', i)
          i = e < 0 ? n : e
        } else i++
        break
      }
      case '<':
        if (level) res.marks[i] = OP
        if (top === 'B' || top === 'A' || s.charAt(i + 1) !== '<') i++
        else if (s.charAt(i + 2) === '<') i += 3
        else {
          res.heredoc = true
          i = heredocOp(s, i, pending)
        }
        break
      case ' ':
      case '\t':
        if (level) res.marks[i] = BLANK
        i++
        break
      case '\n':
        if (level) res.marks[i] = OP
        i++
        // the bodies of the heredocs opened on this line are text, not shell syntax
        for (const h of pending.splice(0)) i = heredocBody(s, i, h)
        break
      case ';':
      case '&':
      case '|':
      case '>':
        if (level) res.marks[i] = OP
        i++
        break
      default:
        i++
    }
  }
  if (stack.length !== 1 || pending.length > 0) res.ok = false
  return res
}

interface Heredoc {
  delim: string
  /** `<<-`: leading tabs are stripped from the body lines and the delimiter line */
  strip: boolean
}

/** reads `<<[-] WORD` at i and queues its body; returns the index after the word */
function heredocOp(s: string, i: number, pending: Heredoc[]): number {
  let j = i + 2
  const strip = s.charAt(j) === '-'
  if (strip) j++
  while (s.charAt(j) === ' ' || s.charAt(j) === '\t') j++
  let delim = ''
  while (j < s.length && !/[\s;&|()<>]/.test(s.charAt(j))) {
    const c = s.charAt(j)
    if (c === "'" || c === '"') {
      const e = s.indexOf(c, j + 1)
      if (e < 0) {
        pending.push({delim: '\n', strip})
        return s.length
      }
      delim += s.slice(j + 1, e)
      j = e + 1
    } else if (c === '\\') {
      delim += s.charAt(j + 1)
      j += 2
    } else {
      delim += c
      j++
    }
  }
  // `<<` without a word is a syntax error: leave it pending so that the text counts as unparseable
  pending.push({delim: delim === '' ? '\n' : delim, strip})
  return j
}

/** index after the body of `h` starting at i (the end of the text when the delimiter never comes) */
function heredocBody(s: string, i: number, h: Heredoc): number {
  while (i < s.length) {
    const e = s.indexOf('\n', i)
    const end = e < 0 ? s.length : e
    const line = h.strip ? s.slice(i, end).replace(/^\t+/, '') : s.slice(i, end)
    i = e < 0 ? s.length : e + 1
    if (line === h.delim) return i
  }
  return i
}

// ---------------------------------------------------------------------------------------------------------------------
// The first simple command

interface Word {
  raw: string
  start: number
  end: number
}

interface First {
  words: Word[]
  /** index of the executable word (after NAME=value words), words.length when there is none */
  exe: number
  /** the command is followed by `(`: a function definition, an array assignment or other syntax */
  paren: boolean
}

const ASSIGN = /^[A-Za-z_][A-Za-z0-9_]*\+?=/

function firstCommand(s: string, marks: Uint8Array): First {
  const n = s.length
  const words: Word[] = []
  let paren = false
  let i = 0
  // leading blank lines are fine; anything else that is not a word ends the command
  while (i < n && (marks[i] === BLANK || s.charAt(i) === '\n')) i++
  while (i < n) {
    const m = marks[i]
    if (m === BLANK) {
      i++
      continue
    }
    const c = s.charAt(i)
    if (m === OP && (c === '<' || c === '>' || (c === '&' && s.charAt(i + 1) === '>')) && words.length > 0) {
      // a redirection after the command word: its operator and target are not words of the command (one before it
      // would put the command somewhere other than the start of the text)
      const j = skipRedirection(s, marks, i)
      if (j < 0) break
      i = j
      continue
    }
    if (m === OP || m === COMMENT) {
      if (c === '(') paren = true
      break
    }
    let j = i
    while (j < n && marks[j] === 0) j++
    const d = s.charAt(j)
    if (j < n && (d === '<' || d === '>')) {
      // `2>file`, `{fd}>file`: the word is the redirection's descriptor
      if (words.length === 0) break
      const e = skipRedirection(s, marks, j)
      if (e < 0) break
      i = e
      continue
    }
    words.push({raw: s.slice(i, j), start: i, end: j})
    i = j
  }
  let exe = 0
  while (exe < words.length && ASSIGN.test(words[exe]!.raw)) exe++
  return {words, exe, paren}
}

/** index after the redirection operator at i and its target word, -1 when there is none (`<<<` and heredocs too) */
function skipRedirection(s: string, marks: Uint8Array, i: number): number {
  const n = s.length
  let j = i
  while (j < n && '<>&|'.includes(s.charAt(j)) && marks[j] === OP) j++
  while (j < n && marks[j] === BLANK) j++
  const start = j
  while (j < n && marks[j] === 0) j++
  return j > start ? j : -1
}

/** the value of a word made only of literal text, quotes and escapes; null when it has expansions */
function literalValue(raw: string): string | null {
  let out = ''
  let i = 0
  while (i < raw.length) {
    const c = raw.charAt(i)
    if (c === '\\') {
      out += raw.charAt(i + 1)
      i += 2
    } else if (c === "'") {
      const j = raw.indexOf("'", i + 1)
      if (j < 0) return null
      out += raw.slice(i + 1, j)
      i = j + 1
    } else if (c === '"') {
      const j = raw.indexOf('"', i + 1)
      if (j < 0) return null
      const body = raw.slice(i + 1, j)
      if (/[$`\\]/.test(body)) return null
      out += body
      i = j + 1
    } else if (c === '$' || c === '`' || c === '*' || c === '?' || c === '[' || c === '~' || c === '{') {
      return null
    } else {
      out += c
      i++
    }
  }
  return out
}

function basename(p: string): string {
  const k = p.lastIndexOf('/')
  return k < 0 ? p : p.slice(k + 1)
}

function singleQuote(s: string): string {
  return "'" + s.split("'").join("'\\''") + "'"
}

function splice(s: string, start: number, end: number, text: string): string {
  return s.slice(0, start) + text + s.slice(end)
}

// ---------------------------------------------------------------------------------------------------------------------
// Building

function build(command: string): Disguise[] {
  if (command.trim() === '') return []
  const sc = scan(command)
  if (!sc.ok) return []

  const out: Disguise[] = []
  const seen = new Set<string>([command])
  const add = (technique: string, text: string): void => {
    if (seen.has(text)) return
    seen.add(text)
    out.push({technique, command: text})
  }

  // --- facts about the whole text
  // whitespace at the end is dropped before appending (`\n; true` would be a syntax error), unless it is escaped
  const trimmed = command.replace(/[ \t\n]+$/, '')
  const escapedTail = trimmed.length < command.length && /(^|[^\\])(\\\\)*\\$/.test(trimmed)
  let tailOp = ''
  for (let k = trimmed.length - 1; k >= 0 && sc.marks[k] === OP && ';&|'.includes(trimmed.charAt(k)); k--) {
    tailOp = trimmed.charAt(k) + tailOp
  }
  const beforeTail = trimmed.charAt(trimmed.length - tailOp.length - 1)
  // a single `;` or `&` may end the text (`a &; true` is not valid, but `a & true` is); `>&` is a redirection
  const appendable =
    !escapedTail && !sc.comment && !sc.heredoc && (tailOp === '' || ((tailOp === ';' || tailOp === '&') && beforeTail !== '>' && beforeTail !== '<'))
  const appendSep = tailOp === '' ? '; ' : ' '
  // text that cannot follow `true &&` (or is not a command at all): a comment or a closing word first
  const startsBroken = /^\s*(?:[;&|)#]|(?:fi|done|esac|then|do|else|elif|in|\})(?![^\s;&|()<>]))/.test(command)
  // text that expects more after it: `$( … )` and `; true` would be read as its continuation
  const lastWord = /(?:^|[\s;&|()])([^\s;&|()]*)$/.exec(trimmed)?.[1] ?? ''
  const open = OPENING_WORDS.has(lastWord) || countWord(command, '[[') !== countWord(command, ']]')

  // --- whole-command wrappers
  if (!sc.unstable && !startsBroken) {
    add('bash-c', `bash -c ${singleQuote(command)}`)
    if (shSafe(command) && !open) add('sh-lc', `sh -lc ${singleQuote(command)}`)
  }

  // --- the first simple command
  const fc = firstCommand(command, sc.marks)
  const exeWord = fc.words[fc.exe]
  const exeValue = exeWord === undefined ? null : literalValue(exeWord.raw)
  const usable = exeWord !== undefined && exeValue !== null && !fc.paren && exeValue !== '' && !exeValue.startsWith('-')
  const keyword = usable && (KEYWORDS.has(exeValue) || KEYWORDS.has(exeWord.raw))
  const builtin = usable && BUILTINS.has(exeValue)
  const assigned = fc.words.slice(0, fc.exe).map((w) => w.raw.slice(0, w.raw.indexOf('=')).replace(/\+$/, ''))
  const args = fc.words.slice(fc.exe + 1).map((w) => w.raw)
  // builtins whose binary twin lacks a feature the arguments use
  const needsBuiltin =
    (exeValue === 'printf' && args[0] === '-v') || (exeValue === 'kill' && args.some((a) => a.startsWith('%')))
  const launchable = usable && !keyword && !builtin && !needsBuiltin && fc.exe === 0 && !exeValue.includes('=')
  // A launcher followed by a NAME=value word (`nice X=1 …` runs a program called X=1, `sudo X=1 …` sets X): a prefix
  // would make it ambiguous whether the word is a setting or the command, so sudo / FOO=1 leave those alone
  const exeBase = exeValue === null ? '' : basename(exeValue)
  let leading = 0
  if (exeBase === 'env') while (leading < args.length && ASSIGN.test(args[leading]!)) leading++
  const ambiguous =
    (INNER_LAUNCHERS.has(exeBase) || PRIV.has(exeBase) || exeBase === 'env') && args.slice(leading).some((a) => ASSIGN.test(a))

  if (usable && !keyword && exeWord !== undefined) {
    const at = exeWord.start
    const name = exeValue
    const first = fc.words[0]!
    if (launchable && !sc.refs.has('X')) add('env-assign', splice(command, at, at, 'env X=1 '))
    if (!sc.refs.has('FOO') && !assigned.includes('FOO') && !ambiguous) add('prefix-assign', splice(command, first.start, first.start, 'FOO=1 '))
    if (launchable) {
      add('timeout', splice(command, at, at, 'timeout 5 '))
      add('nice', splice(command, at, at, 'nice '))
    }
    // word techniques: only plain names, whose characters mean themselves whether quoted or not
    if (PLAIN_NAME.test(exeWord.raw)) {
      if (!builtin && !needsBuiltin && !NO_ABS_PATH.has(name) && !assigned.includes('PATH')) {
        add('abs-path', splice(command, at, exeWord.end, absPath(name)))
      }
      if (name.length >= 2) {
        add('quote-split', splice(command, at, exeWord.end, `'${name.charAt(0)}'${name.slice(1)}`))
        if (/^[A-Za-z0-9]$/.test(name.charAt(1))) {
          add('backslash', splice(command, at, exeWord.end, `${name.charAt(0)}\\${name.slice(1)}`))
        }
      }
    }
  }

  // --- substitutions and list wrappers
  if (!sc.unstable && !startsBroken && appendable && !open) {
    // `$((` would open arithmetic: a subshell first needs a blank after `$(`
    const pad = trimmed.startsWith('(') ? ' ' : ''
    if (!sc.strayParen && !command.includes('=(')) add('subst-dollar', `echo "$(${pad}${trimmed})"`)
    if (!/[`\\]/.test(command)) add('subst-backtick', `echo "\`${trimmed}\`"`)
  }
  if (!sc.unstable && !startsBroken) add('true-and', `true && ${command}`)
  if (!startsBroken && appendable && !open) add('then-true', `${trimmed}${appendSep}true`)

  if (launchable && exeWord !== undefined) {
    const b = exeBase
    // already privileged, possibly further in (`nice sudo …`)
    const privileged =
      PRIV.has(b) || ((INNER_LAUNCHERS.has(b) || b === 'env') && args.some((a) => PRIV.has(basename(literalValue(a) ?? ''))))
    if (!privileged && !ambiguous) add('sudo', splice(command, exeWord.start, exeWord.start, 'sudo '))
  }

  // --- flags
  if (usable && !keyword && exeWord !== undefined) {
    const spec = FLAG_SPECS.get(basename(exeValue))
    if (spec !== undefined) flagDisguises(command, fc.words.slice(fc.exe + 1), spec, add)
  }
  return out
}

/** unquoted, blank-separated occurrences of `word` */
function countWord(s: string, word: string): number {
  let count = 0
  for (const w of s.split(/[\s;&|()]+/)) if (w === word) count++
  return count
}

function absPath(name: string): string {
  if (BIN_NAMES.has(name)) return `/bin/${name}`
  if (SBIN_NAMES.has(name) || name.startsWith('mkfs.')) return `/usr/sbin/${name}`
  return `/usr/bin/${name}`
}

function shSafe(command: string): boolean {
  if (command.includes('\\')) return false
  for (const t of BASH_ONLY_SYNTAX) if (command.includes(t)) return false
  if (BASH_ONLY_WORDS.test(command)) return false
  // `((` outside `$((`
  if (/(^|[^$])\(\(/.test(command)) return false
  // braces: only `{}` (find) and `${NAME}` are known to mean the same in every sh
  const braces = command.replace(/\{\}/g, '').replace(/\$\{[A-Za-z_][A-Za-z0-9_]*\}/g, '')
  if (braces.includes('{') || braces.includes('}')) return false
  return true
}

function flagDisguises(command: string, args: Word[], spec: FlagSpec, add: (t: string, c: string) => void): void {
  // the option words before the first operand / `--`, each with whether it may be swapped with a neighbour
  const region: {w: Word; swappable: boolean}[] = []
  const splits: {w: Word; text: string}[] = []
  let k = 0
  while (k < args.length) {
    const w = args[k]!
    const v = w.raw
    if (v === '--' || !v.startsWith('-') || v === '-') break
    if (v.startsWith('--')) {
      if (v.includes('=')) region.push({w, swappable: false})
      else if (spec.longs.includes(v)) region.push({w, swappable: true})
      else break // a long option we do not know may take the next word as its value
      k++
      continue
    }
    if (!/^-[A-Za-z]+$/.test(v)) break
    const letters = v.slice(1)
    // a value-taking letter before the last one takes the rest of the cluster as its value
    let inner = false
    for (let q = 0; q < letters.length - 1; q++) if (spec.arg.includes(letters.charAt(q))) inner = true
    if (inner) break
    const last = letters.charAt(letters.length - 1)
    const takesNext = spec.arg.includes(last)
    if (letters.length >= 2) splits.push({w, text: [...letters].map((l) => '-' + l).join(' ')})
    region.push({w, swappable: letters.length === 1 && !takesNext && spec.commute.includes(last)})
    k += takesNext ? 2 : 1
    if (takesNext) region.push({w: {raw: '', start: -1, end: -1}, swappable: false})
  }
  if (splits.length > 0) {
    let text = command
    for (let q = splits.length - 1; q >= 0; q--) text = splice(text, splits[q]!.w.start, splits[q]!.w.end, splits[q]!.text)
    add('split-flags', text)
  }
  for (let q = 0; q + 1 < region.length; q++) {
    const a = region[q]!
    const b = region[q + 1]!
    if (!a.swappable || !b.swappable) continue
    // adjacent words: replace the span from a to b, keeping the blanks between them
    const between = command.slice(a.w.end, b.w.start)
    add('reorder-flags', splice(command, a.w.start, b.w.end, b.w.raw + between + a.w.raw))
  }
}
